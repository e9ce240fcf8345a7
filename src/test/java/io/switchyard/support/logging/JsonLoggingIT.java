package io.switchyard.support.logging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.testsupport.PackagedApp;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * With LOG_FORMAT=json every console line of the packaged app is one JSON object carrying color, version, env
 * and, inside a request, the trace id; SIGTERM then shuts it down cleanly.
 */
class JsonLoggingIT {

    private static final String REQUEST_ID = "req-0123456789abcdef";
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void jsonLinesCarryColorVersionEnvAndTraceId() throws Exception {
        try (PackagedApp app = PackagedApp.start(Map.of(
                "LOG_FORMAT", "json", "APP_COLOR", "blue", "APP_VERSION", "9.9.9-test", "APP_ENV", "dev"))) {
            app.awaitReady(Duration.ofSeconds(90));

            HttpResponse<String> response = app.get("/api/users/me",
                    Map.of("X-Request-Id", REQUEST_ID, "Authorization", "Bearer not-a-valid-token"));
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(response.headers().firstValue("X-Trace-Id")).hasValue(REQUEST_ID);
            // 143 = 128 + SIGTERM: the JVM ran its shutdown hooks (graceful shutdown) and exited on the signal.
            assertThat(app.terminate(Duration.ofSeconds(30))).isEqualTo(143);

            List<String> lines = app.output().stream().filter(line -> !line.isBlank()).toList();
            List<JsonNode> records = lines.stream().map(this::parse).flatMap(Optional::stream).toList();
            assertThat(records).as("every line is JSON").hasSameSizeAs(lines).isNotEmpty();
            assertThat(records).allSatisfy(line -> {
                assertThat(line.path("app.color").asText()).isEqualTo("blue");
                assertThat(line.path("app.version").asText()).isEqualTo("9.9.9-test");
                assertThat(line.path("app.env").asText()).isEqualTo("dev");
                assertThat(line.hasNonNull("@timestamp")).isTrue();
                assertThat(line.hasNonNull("level")).isTrue();
                assertThat(line.hasNonNull("logger_name")).isTrue();
            });
            JsonNode rejected = records.stream()
                    .filter(line -> REQUEST_ID.equals(line.path("trace.id").asText()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no log line carries the request's trace id"));
            assertThat(rejected.path("message").asText()).containsIgnoringCase("token");
        }
    }

    private Optional<JsonNode> parse(String line) {
        try {
            return Optional.of(json.readTree(line));
        } catch (Exception notJson) {
            return Optional.empty();
        }
    }
}
