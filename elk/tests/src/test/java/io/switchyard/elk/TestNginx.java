package io.switchyard.elk;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The distribution's nginx in a private prefix with the repository's conf.d/switchyard-common.conf
 * (log_format switchyard_json, the routed-color map) and one env's server: green proxies to a live
 * backend, blue (under /blue/) to a port where nothing listens, as after a bad release.
 */
final class TestNginx implements AutoCloseable {

    final Path dir;
    final Path accessLog;
    final int port;
    private final Process process;

    TestNginx(String env, int greenPort, int bluePort) throws Exception {
        Path binary = List.of("/usr/sbin/nginx", "/usr/local/sbin/nginx").stream().map(Path::of)
                .filter(Files::isExecutable).findFirst().orElseThrow(() -> new AssertionError("nginx is not installed"));
        dir = Files.createTempDirectory("switchyard-nginx");
        Files.createDirectories(dir.resolve("logs"));
        accessLog = dir.resolve("logs/access.log");
        port = freePort();
        String conf = """
                daemon off;
                master_process off;
                pid %1$s/nginx.pid;
                error_log %1$s/logs/error.log warn;
                events { worker_connections 256; }
                http {
                    include %2$s;
                    client_body_temp_path %1$s/client_body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    upstream switchyard_green { server 127.0.0.1:%3$d; }
                    upstream switchyard_blue { server 127.0.0.1:%4$d; }
                    server {
                        listen 127.0.0.1:%5$d;
                        set $switchyard_env %6$s;
                        set $switchyard_blue_port %4$d;
                        set $switchyard_green_port %3$d;
                        access_log %7$s switchyard_json;
                        proxy_connect_timeout 2s;
                        location /blue/ { proxy_pass http://switchyard_blue/; }
                        location / { proxy_pass http://switchyard_green; }
                    }
                }
                """.formatted(dir, Repo.root().resolve("nginx/conf.d/switchyard-common.conf"), greenPort, bluePort, port,
                env, accessLog);
        Files.writeString(dir.resolve("nginx.conf"), conf);
        process = new ProcessBuilder(binary.toString(), "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("logs/stdout.log").toFile()).start();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/nginx-up")).build(),
                        HttpResponse.BodyHandlers.discarding());
                break;
            } catch (IOException e) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new AssertionError("nginx not serving: " + Files.readString(dir.resolve("logs/stdout.log")), e);
                }
                Thread.sleep(200);
            }
        }
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
