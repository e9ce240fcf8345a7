package io.switchyard.support.logging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.testsupport.FreePort;
import io.switchyard.testsupport.PackagedApp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Logs stream to Logstash over TCP, and a Logstash that is down never holds up requests: the bounded queue drops
 * instead, and shipping resumes by itself once Logstash is back.
 */
class LogstashStreamingIT {

    private static final int REQUESTS_WHILE_DOWN = 400;
    private static final Map<String, String> REJECTED_TOKEN = Map.of("Authorization", "Bearer not-a-valid-token");

    @Test
    void requestsDoNotWaitForADownLogstashAndShippingResumes() throws Exception {
        int logstashPort = FreePort.pick();
        try (PackagedApp app = PackagedApp.start(Map.of(
                "APP_COLOR", "green",
                "LOGSTASH_HOST", "127.0.0.1",
                "LOGSTASH_PORT", Integer.toString(logstashPort),
                "LOGSTASH_QUEUE_SIZE", "64",
                "LOGSTASH_RECONNECT_DELAY", "1 second"))) {
            app.awaitReady(Duration.ofSeconds(90));

            // Logstash is down: every request still answers, each producing a log line the queue cannot hold.
            for (int i = 0; i < REQUESTS_WHILE_DOWN; i++) {
                assertThat(app.get("/api/users/me", REJECTED_TOKEN).statusCode()).isEqualTo(401);
            }

            try (LogstashStub logstash = LogstashStub.listen(logstashPort)) {
                JsonNode shipped = null;
                long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (shipped == null && System.nanoTime() < until) {
                    app.get("/api/users/me", Map.of("Authorization", "Bearer not-a-valid-token",
                            "X-Request-Id", "after-recovery-0001"));
                    Thread.sleep(500);
                    shipped = logstash.lines().stream()
                            .map(LogstashStreamingIT::parse)
                            .filter(line -> "after-recovery-0001".equals(line.path("trace.id").asText()))
                            .findFirst()
                            .orElse(null);
                }
                assertThat(shipped).as("a log line reached Logstash after it came back").isNotNull();
                assertThat(shipped.path("app.color").asText()).isEqualTo("green");
                assertThat(logstash.lines().size())
                        .as("the queue of 64 dropped what it could not hold while Logstash was down")
                        .isLessThan(REQUESTS_WHILE_DOWN);
            }
        }
    }

    private static JsonNode parse(String line) {
        try {
            return new ObjectMapper().readTree(line);
        } catch (IOException notJson) {
            return new ObjectMapper().missingNode();
        }
    }

    /** Accepts connections on loopback and keeps every line received. */
    private static final class LogstashStub implements AutoCloseable {

        private final ServerSocket server;
        private final List<String> lines = new CopyOnWriteArrayList<>();

        private LogstashStub(ServerSocket server) {
            this.server = server;
            Thread acceptor = new Thread(this::acceptLoop, "logstash-stub");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        static LogstashStub listen(int port) throws IOException {
            ServerSocket server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return new LogstashStub(server);
        }

        List<String> lines() {
            return List.copyOf(lines);
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    Thread reader = new Thread(() -> read(socket), "logstash-stub-reader");
                    reader.setDaemon(true);
                    reader.start();
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private void read(Socket socket) {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException closed) {
                // connection ended
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
