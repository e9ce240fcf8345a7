package io.switchyard.elk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The elastic-apm-agent really reports: the real app (target/switchyard.jar, built by the root pom)
 * runs with the agent and the same ELASTIC_APM_* variables the image's entrypoint sets, against an
 * intake stub on 127.0.0.1. Transactions must arrive with service name, environment, version and the
 * color label. The app's real JSON log lines (LOG_FORMAT=json, stdout) are the log contract: every
 * field is in the app-logs index template with a matching type, request lines carry the trace id of
 * the agent's transaction, and the committed fixture (captured from this app) still has their shape.
 */
class ApmAgentIT {

    private static final String SERVICE = "switchyard";
    private static final String ENVIRONMENT = "ci-test";
    private static final String VERSION = "9.9.9-test";
    private static final String TOKEN = "intake-test-token";
    private static final int BAD_TOKEN_REQUESTS = 3;

    /** One intake request: headers we care about and the decoded ndjson lines. */
    record Intake(String authorization, String encoding, List<JsonNode> lines) {
    }

    private final List<Intake> intakes = new CopyOnWriteArrayList<>();
    private final List<String> otherRequests = new CopyOnWriteArrayList<>();
    private HttpServer stub;
    private Process app;

    @AfterEach
    void stop() throws InterruptedException {
        stopApp();
        if (stub != null) {
            stub.stop(0);
        }
    }

    /** SIGTERM, so the app flushes its last log lines; forcibly after 30 s. */
    private void stopApp() throws InterruptedException {
        if (app != null && app.isAlive()) {
            app.destroy();
            if (!app.waitFor(30, TimeUnit.SECONDS)) {
                app.descendants().forEach(ProcessHandle::destroyForcibly);
                app.destroyForcibly();
            }
        }
    }

    @Test
    void transactionsArriveWithServiceEnvironmentVersionAndColor() throws Exception {
        Path work = Path.of(System.getProperty("project.build.directory", "target")).resolve("apm-it");
        Files.createDirectories(work);
        for (String f : List.of("apm-agent.log", "app-stdout.log", "app-stderr.log", "intake.ndjson")) {
            Files.deleteIfExists(work.resolve(f));
        }
        intakeLogFile = work.resolve("intake.ndjson");
        startIntakeStub();
        Path agent = Path.of(System.getProperty("apm.agent.jar", "../../target/agents/elastic-apm-agent.jar"));
        assertTrue(Files.isRegularFile(agent), "agent jar (copied by the root pom's package phase): " + agent);
        Path appJar = Path.of(System.getProperty("switchyard.jar", "../../target/switchyard.jar"));
        assertTrue(Files.isRegularFile(appJar),
                "application jar not found: " + appJar + " (build it first: ./mvnw -B -ntp -DskipTests package)");
        int port = freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-javaagent:" + agent.toAbsolutePath(), "-Xmx512m",
                // Quicker start on a busy 2-core host; the agent instruments the same either way.
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        // Run the app as the image does: extracted to a plain classpath (Dockerfile, stage 1), a private copy
        // the root build cannot change under it. Not the packed jar: agent 1.55.1 closes Spring Boot's shared
        // nested jar while checking a library's version (elastic/apm-agent-java#4541, fixed in 1.57.0), which
        // failed this start-up once in CI with "NoClassDefFoundError ... ZipFile closed".
        cmd.addAll(List.of("-jar", extracted(java, appJar, work.resolve("app")).toAbsolutePath().toString()));
        cmd.add("--server.port=" + port);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(work.resolve("app-stdout.log").toFile())
                .redirectError(work.resolve("app-stderr.log").toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("ELASTIC_APM_") || k.startsWith("LOGSTASH_") || k.startsWith("SPRING_")
                || k.equals("JAVA_TOOL_OPTIONS"));
        env.putAll(agentEnvironment(work));
        env.put("APP_COLOR", "green");
        env.put("APP_ENV", ENVIRONMENT);
        env.put("APP_VERSION", VERSION);
        env.put("LOG_FORMAT", "json");
        env.put("SERVER_PORT", String.valueOf(port));
        env.put("SHUTDOWN_TIMEOUT", "2s");
        app = pb.start();

        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String base = "http://127.0.0.1:" + port;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (status(client, base + "/actuator/health/liveness") != 200) {
            assertTrue(app.isAlive(), "app exited: " + Files.readString(work.resolve("app-stderr.log")));
            assertTrue(System.nanoTime() < deadline, "app not live within 180s");
            Thread.sleep(500);
        }
        for (int i = 0; i < 5; i++) {
            assertEquals(401, status(client, base + "/api/users/me"), "GET /api/users/me without a token");
            assertEquals(200, status(client, base + "/actuator/health/liveness"));
        }
        // A rejected token is logged inside the request: those lines must carry the transaction's ids.
        List<String> headerTraceIds = new ArrayList<>();
        for (int i = 0; i < BAD_TOKEN_REQUESTS; i++) {
            HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(base + "/api/users/me"))
                    .header("Authorization", "Bearer not-a-jwt-" + i).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertEquals(401, r.statusCode(), "GET /api/users/me with a bad token");
            headerTraceIds.add(r.headers().firstValue("X-Trace-Id").orElseThrow());
        }

        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (transactions("/api/users/me").size() < 5 + BAD_TOKEN_REQUESTS) {
            assertTrue(System.nanoTime() < deadline, "no /api/users/me transactions within 60s; intake got "
                    + intakes.size() + " requests, other requests " + otherRequests);
            Thread.sleep(250);
        }

        for (Intake intake : intakes) {
            assertEquals("Bearer " + TOKEN, intake.authorization(), "agent authenticates with the secret token");
            JsonNode metadata = intake.lines().get(0).path("metadata");
            assertEquals(SERVICE, metadata.path("service").path("name").asText(), "service.name");
            assertEquals(ENVIRONMENT, metadata.path("service").path("environment").asText(), "service.environment");
            assertEquals(VERSION, metadata.path("service").path("version").asText(), "service.version");
            assertEquals("green", metadata.path("labels").path("color").asText(), "global label color: " + metadata);
        }
        List<JsonNode> me = transactions("/api/users/me");
        for (JsonNode t : me) {
            assertEquals("request", t.path("type").asText());
            assertEquals(401, t.path("context").path("response").path("status_code").asInt(), t.toString());
            assertTrue(t.path("trace_id").asText().matches("[0-9a-f]{32}"), "trace id " + t.path("trace_id"));
        }
        Map<String, String> traceOfTransaction = new LinkedHashMap<>();
        me.forEach(t -> traceOfTransaction.put(t.path("id").asText(), t.path("trace_id").asText()));
        // The response header (TraceIdFilter) names the same trace as the agent, so a client's report finds it.
        long headerMatches = headerTraceIds.stream().filter(traceOfTransaction::containsValue).count();
        System.out.println("[ApmAgentIT] X-Trace-Id headers equal to the agent's trace id: " + headerMatches + "/" + headerTraceIds.size());
        assertEquals(headerTraceIds.size(), headerMatches, "X-Trace-Id " + headerTraceIds + " vs agent traces " + traceOfTransaction);
        System.out.println("[ApmAgentIT] app=" + appJar + " intake requests=" + intakes.size()
                + " encodings=" + intakes.stream().map(Intake::encoding).distinct().toList()
                + " /api/users/me transactions=" + me.size() + " names=" + me.stream().map(t -> t.path("name").asText()).distinct().toList());

        stopApp();
        checkAppLogLines(work.resolve("app-stdout.log"), traceOfTransaction);
    }

    /** The variables the image sets when ELASTIC_APM_SERVER_URL is given, plus test timing knobs. */
    private Map<String, String> agentEnvironment(Path work) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("ELASTIC_APM_SERVER_URL", "http://127.0.0.1:" + stub.getAddress().getPort());
        env.put("ELASTIC_APM_SECRET_TOKEN", TOKEN);
        env.put("ELASTIC_APM_SERVICE_NAME", SERVICE);
        env.put("ELASTIC_APM_ENVIRONMENT", ENVIRONMENT);
        env.put("ELASTIC_APM_SERVICE_VERSION", VERSION);
        env.put("ELASTIC_APM_GLOBAL_LABELS", "color=green");
        env.put("ELASTIC_APM_ENABLE_LOG_CORRELATION", "true");
        // Test timing: send every second instead of every 10 s.
        env.put("ELASTIC_APM_API_REQUEST_TIME", "1s");
        env.put("ELASTIC_APM_METRICS_INTERVAL", "1s");
        // Stay on 127.0.0.1: no central-config polling, no cloud metadata probes.
        env.put("ELASTIC_APM_CENTRAL_CONFIG", "false");
        env.put("ELASTIC_APM_CLOUD_PROVIDER", "NONE");
        env.put("ELASTIC_APM_LOG_FILE", work.resolve("apm-agent.log").toString());
        env.put("ELASTIC_APM_LOG_LEVEL", "INFO");
        return env;
    }

    private void checkAppLogLines(Path stdout, Map<String, String> traceOfTransaction) throws IOException {
        JsonNode mappings = IndexTemplates.mappings(IndexTemplates.APP_LOGS);
        PipelineEmulator pipeline = new PipelineEmulator(Repo.elk().resolve("logstash/pipeline/app-logs.conf"));
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(stdout)) {
            if (line.startsWith("{")) {
                lines.add(Repo.parse(line));
            }
        }
        assertTrue(lines.size() >= 10, "LOG_FORMAT=json: the app writes JSON lines to stdout, got " + lines.size());
        int rejectedTokenLines = 0;
        int correlated = 0;
        for (JsonNode line : lines) {
            Map<String, JsonNode> fields = ContractCheck.flatten(line);
            for (String required : List.of("@timestamp", "message", "level", "logger_name", "app.color", "app.version", "app.env")) {
                assertTrue(fields.containsKey(required), "log line without " + required + ": " + line);
            }
            assertEquals("green", fields.get("app.color").asText());
            assertEquals(VERSION, fields.get("app.version").asText());
            assertEquals(ENVIRONMENT, fields.get("app.env").asText());
            IndexTemplateContractTest.assertStrict(mappings, line);
            IndexTemplateContractTest.assertStrict(mappings, pipeline.apply(line));
            if (line.path("message").asText().startsWith("rejected access token")) {
                rejectedTokenLines++;
                // What Kibana links on: the line's trace.id is the trace of the transaction it was logged in.
                String transactionId = fields.containsKey("transaction.id") ? fields.get("transaction.id").asText() : null;
                assertTrue(traceOfTransaction.containsKey(transactionId), "transaction.id of " + line + " not among " + traceOfTransaction);
                assertEquals(traceOfTransaction.get(transactionId), fields.get("trace.id").asText(), "trace.id of " + line);
                correlated++;
            }
        }
        assertEquals(BAD_TOKEN_REQUESTS, rejectedTokenLines, "one 'rejected access token' line per bad-token request");
        Map<String, String> live = shape(lines);
        Map<String, String> fixture = shape(Fixtures.jsonLines("app-log-lines.jsonl"));
        String recapture = " (recapture the fixture from " + stdout + " when the log format changes on purpose)";
        // Every field the app wrote is in the fixture with the same JSON type; every fixture field but the
        // ones only some lines carry (a stack trace: none unless something failed, e.g. Redis closing at
        // shutdown) was written in this run.
        live.forEach((field, type) -> assertEquals(type, fixture.get(field),
                "field " + field + " of the real log lines vs fixtures/app-log-lines.jsonl" + recapture));
        fixture.keySet().stream().filter(field -> !OPTIONAL_LOG_FIELDS.contains(field)).forEach(field ->
                assertTrue(live.containsKey(field), "fixture field " + field + " not in the real log lines" + recapture));
        System.out.println("[ApmAgentIT] app JSON log lines=" + lines.size() + " all mapped, types ok; lines with a transaction's trace.id="
                + correlated + "/" + BAD_TOKEN_REQUESTS + "; fields=" + live);
    }

    /** Log fields only some lines carry, so one run need not write them. */
    private static final Set<String> OPTIONAL_LOG_FIELDS = Set.of("stack_trace");

    /** Union of dotted field path -> JSON node type over all lines. */
    static Map<String, String> shape(List<JsonNode> lines) {
        Map<String, String> out = new java.util.TreeMap<>();
        for (JsonNode line : lines) {
            ContractCheck.flatten(line).forEach((k, v) -> out.merge(k, v.getNodeType().toString(),
                    (a, b) -> a.equals(b) ? a : a + "|" + b));
        }
        return out;
    }

    private List<JsonNode> transactions(String path) {
        List<JsonNode> out = new ArrayList<>();
        for (Intake intake : intakes) {
            for (JsonNode line : intake.lines()) {
                JsonNode t = line.path("transaction");
                if (t.isObject() && t.path("context").path("request").path("url").path("pathname").asText().equals(path)) {
                    out.add(t);
                }
            }
        }
        return out;
    }

    private void startIntakeStub() throws IOException {
        stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            byte[] raw = exchange.getRequestBody().readAllBytes();
            int status = 404;
            String response = "";
            if (exchange.getRequestMethod().equals("POST") && path.equals("/intake/v2/events")) {
                String encoding = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Encoding"));
                List<JsonNode> lines = new ArrayList<>();
                for (String line : new String(decode(raw, encoding), StandardCharsets.UTF_8).split("\n")) {
                    if (!line.isBlank()) {
                        lines.add(Repo.parse(line));
                    }
                }
                if (!lines.isEmpty()) {
                    intakeLog(lines);
                    intakes.add(new Intake(exchange.getRequestHeaders().getFirst("Authorization"), encoding, lines));
                }
                status = 202;
            } else if (path.equals("/")) {
                status = 200;
                response = "{\"build_date\":\"2025-01-01T00:00:00Z\",\"build_sha\":\"test\",\"publish_ready\":true,\"version\":\"8.17.10\"}";
            } else {
                otherRequests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            }
            byte[] bytes = response.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                exchange.getResponseBody().write(bytes);
            }
            exchange.close();
        });
        stub.start();
    }

    private Path intakeLogFile;

    private synchronized void intakeLog(List<JsonNode> lines) {
        if (intakeLogFile == null) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        lines.forEach(l -> sb.append(l).append('\n'));
        try {
            Files.writeString(intakeLogFile, sb, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] decode(byte[] raw, String encoding) throws IOException {
        InputStream in = new ByteArrayInputStream(raw);
        if (encoding.equalsIgnoreCase("deflate")) {
            in = new InflaterInputStream(in);
        } else if (encoding.equalsIgnoreCase("gzip")) {
            in = new GZIPInputStream(in);
        }
        try (InputStream decoded = in) {
            return decoded.readAllBytes();
        }
    }

    private static int status(HttpClient client, String url) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Extracts the Boot jar (`java -Djarmode=tools extract`) into dir; returns the thin launcher jar. */
    private static Path extracted(String java, Path bootJar, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(java, "-Djarmode=tools", "-jar", bootJar.toAbsolutePath().toString(),
                "extract", "--force", "--destination", dir.toAbsolutePath().toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "extracting " + bootJar + ": " + out);
        Path launcher = dir.resolve(bootJar.getFileName());
        assertTrue(Files.isRegularFile(launcher), "no " + launcher + " after extract: " + out);
        return launcher;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
