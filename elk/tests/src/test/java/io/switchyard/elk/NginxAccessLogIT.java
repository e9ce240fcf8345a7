package io.switchyard.elk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Real nginx access-log lines: nginx (the distribution's binary) runs with the repository's
 * conf.d/switchyard-common.conf (log_format switchyard_json) in front of a small backend that sets
 * X-App-Color. Every line it writes must have the contract keys and, after the nginx pipeline's
 * filters, match the nginx-access index template; the sample day and fixtures must have the same
 * JSON shape as the real lines. Skipped without nginx unless -Delk.requireNginx=true (tests/elk/run.sh).
 */
class NginxAccessLogIT {

    private HttpServer backend;
    private Process nginx;
    private Path dir;

    @AfterEach
    void stop() throws InterruptedException {
        if (nginx != null && nginx.isAlive()) {
            nginx.destroy();
            if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
                nginx.destroyForcibly();
            }
        }
        if (backend != null) {
            backend.stop(0);
        }
        if (dir != null) {
            try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                System.out.println("[NginxAccessLogIT] could not remove " + dir + ": " + e);
            }
        }
    }

    @Test
    void realAccessLogLinesMatchTheTemplateAfterThePipeline() throws Exception {
        Path binary = nginxBinary();
        if (binary == null) {
            assertFalse(Boolean.getBoolean("elk.requireNginx"), "nginx is required (-Delk.requireNginx=true) but not installed");
            Assumptions.abort("nginx not installed");
        }
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            int status = switch (path) {
                case "/api/users/me" -> 401;
                case "/api/boom" -> 500;
                default -> 200;
            };
            byte[] body = ("{\"status\":" + status + "}").getBytes(StandardCharsets.UTF_8);
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("X-App-Color", "green");
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        backend.start();

        dir = Files.createTempDirectory("switchyard-nginx");
        Files.createDirectories(dir.resolve("logs"));
        Path accessLog = dir.resolve("logs/access.log");
        int port = freePort();
        int deadPort = freePort();
        Path common = Repo.root().resolve("nginx/conf.d/switchyard-common.conf");
        assertTrue(Files.isRegularFile(common), "the repository's nginx http-level config: " + common);
        String conf = """
                daemon off;
                master_process off;
                pid %1$s/nginx.pid;
                error_log %1$s/logs/error.log warn;
                events { worker_connections 64; }
                http {
                    include %2$s;
                    client_body_temp_path %1$s/client_body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    upstream switchyard_app { server 127.0.0.1:%3$d; }
                    upstream switchyard_dead { server 127.0.0.1:%4$d; }
                    server {
                        listen 127.0.0.1:%5$d;
                        set $switchyard_env test;
                        # As the site template renders them: green is the live backend, blue is down.
                        set $switchyard_blue_port %4$d;
                        set $switchyard_green_port %3$d;
                        access_log %6$s switchyard_json;
                        location = /api/auth/kakao { return 429; }
                        location /dead/ { proxy_pass http://switchyard_dead/; }
                        location / { proxy_pass http://switchyard_app; }
                    }
                }
                """.formatted(dir, common, backend.getAddress().getPort(), deadPort, port, accessLog);
        Files.writeString(dir.resolve("nginx.conf"), conf);
        nginx = new ProcessBuilder(binary.toString(), "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("logs/stdout.log").toFile()).start();

        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String base = "http://127.0.0.1:" + port;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (status(client, base + "/api/home", "") != 200) {
            assertTrue(nginx.isAlive(), "nginx exited: " + Files.readString(dir.resolve("logs/stdout.log"))
                    + Files.readString(dir.resolve("logs/error.log")));
            assertTrue(System.nanoTime() < deadline, "nginx not serving within 20s");
            Thread.sleep(200);
        }
        // Expected status and whether the app answered (then nginx logs its color and upstream time).
        Map<String, Integer> requests = new LinkedHashMap<>();
        requests.put("/api/home?page=1", 200);
        requests.put("/api/users/me", 401);
        requests.put("/api/boom", 500);
        requests.put("/api/auth/kakao", 429);
        requests.put("/dead/api/home", 502);
        requests.put("/ws?access_token=secret-jwt-value", 200);
        for (Map.Entry<String, Integer> r : requests.entrySet()) {
            assertEquals(r.getValue(), status(client, base + r.getKey(), "Mozilla/5.0 \"quoted\" agent"), r.getKey());
        }
        nginx.destroy();
        assertTrue(nginx.waitFor(10, TimeUnit.SECONDS), "nginx stops on SIGTERM");

        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(accessLog)) {
            lines.add(Repo.parse(line));
        }
        assertTrue(lines.size() >= requests.size() + 1, "access log lines: " + lines.size());
        JsonNode mappings = IndexTemplates.mappings(IndexTemplates.NGINX_ACCESS);
        PipelineEmulator pipeline = new PipelineEmulator(Repo.elk().resolve("logstash/pipeline/nginx-access.conf"));
        Map<String, ObjectNode> byUri = new LinkedHashMap<>();
        for (JsonNode raw : lines) {
            assertEquals(IndexTemplateContractTest.NGINX_CONTRACT_KEYS, new TreeSet<>(ContractCheck.flatten(raw).keySet()),
                    "keys of a real line " + raw);
            ObjectNode indexed = pipeline.apply(raw);
            IndexTemplateContractTest.assertStrict(mappings, indexed);
            assertEquals("test", indexed.path("env").asText());
            byUri.put(raw.path("uri").asText(), indexed);
            assertFalse(raw.toString().contains("secret-jwt-value") || raw.path("uri").asText().contains("?"),
                    "no query string (tokens) in the access log: " + raw);
        }
        assertTrue(byUri.containsKey("/ws"), "the /ws request is logged by its path: " + byUri.keySet());
        assertTrue(byUri.containsKey("/api/home"), "logged without its query: " + byUri.keySet());
        for (String uri : List.of("/api/home?page=1", "/api/users/me", "/api/boom")) {
            ObjectNode d = byUri.get(uri.replaceFirst("\\?.*", ""));
            assertEquals(requests.get(uri).intValue(), d.path("status").intValue(), uri);
            assertEquals("green", d.path("app_color").asText(), "color from X-App-Color: " + d);
            assertEquals("green", d.path("upstream_color").asText(), "color nginx routed to: " + d);
            assertTrue(d.path("upstream_response_time").isNumber(), "upstream time is a number: " + d);
            assertTrue(d.path("request_time").isNumber(), d.toString());
        }
        ObjectNode limited = byUri.get("/api/auth/kakao");
        assertEquals(429, limited.path("status").intValue());
        assertFalse(limited.has("app_color") || limited.has("upstream_color") || limited.has("upstream_response_time")
                        || limited.has("upstream_addr"),
                "nginx answered itself: no upstream fields " + limited);
        ObjectNode dead = byUri.get("/dead/api/home");
        assertEquals(502, dead.path("status").intValue());
        assertFalse(dead.has("app_color"), "no app answered, no app header: " + dead);
        assertEquals("blue", dead.path("upstream_color").asText(), "nginx's own 502 counts for the color it routed to: " + dead);
        assertEquals("Mozilla/5.0 \"quoted\" agent", byUri.get("/api/boom").path("user_agent").asText());

        // The hand-written sample day and fixtures must look like what nginx really writes.
        Map<String, String> real = ApmAgentIT.shape(lines);
        assertEquals(real, ApmAgentIT.shape(new ArrayList<>(new SampleDay().nginxRaw)), "JSON shape: sample day vs real nginx");
        assertEquals(real, ApmAgentIT.shape(Fixtures.jsonLines("nginx-access-lines.jsonl")), "JSON shape: fixture vs real nginx");
        System.out.println("[NginxAccessLogIT] " + binary + ": real access-log lines=" + lines.size()
                + " all with the contract keys, mapped and typed after the pipeline; shape=" + real);
    }

    private static Path nginxBinary() {
        for (String candidate : List.of("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return Path.of(candidate);
            }
        }
        return null;
    }

    private static int status(HttpClient client, String url, String userAgent) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
            if (!userAgent.isEmpty()) {
                b.header("User-Agent", userAgent);
            }
            return client.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
