package io.switchyard.support.error;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.util.List;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import switchyardtest.ProbeController;

/** Bad input of every kind gets a problem+json 4xx with a stable code, never a 500 or a stack trace. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(ProbeController.class)
class ErrorHandlingIT {

    @LocalServerPort
    int port;

    @Autowired
    ObjectMapper json;

    final HttpClient client = HttpClient.newHttpClient();

    @Test
    void malformedJsonIs400() throws Exception {
        Answer answer = post("/probe/echo", "application/json", "{\"name\": \"x\", ");

        answer.assertProblem(400, "malformed-body");
    }

    @Test
    void duplicateJsonKeyIs400() throws Exception {
        Answer answer = post("/probe/echo", "application/json", "{\"name\": \"x\", \"count\": 1, \"count\": 2}");

        answer.assertProblem(400, "malformed-body");
    }

    @Test
    void pathsTomcatRefusesItselfGetProblemJsonToo() throws Exception {
        for (String path : List.of("/api/rooms/%00", "/%00", "/api/%2e%2e/%00x")) {
            Answer answer = get(path);

            assertThat(answer.status()).as(path).isEqualTo(400);
            answer.assertProblem(400, "bad-request");
        }
    }

    @Test
    void wrongFieldTypeIs400() throws Exception {
        Answer answer = post("/probe/echo", "application/json", "{\"name\": \"x\", \"count\": \"many\"}");

        answer.assertProblem(400, "malformed-body");
    }

    @Test
    void missingAndInvalidFieldsAre400WithTheFieldsNamed() throws Exception {
        Answer answer = post("/probe/echo", "application/json", "{\"count\": 99}");

        answer.assertProblem(400, "validation-failed");
        assertThat(answer.body().path("errors").findValuesAsText("field")).containsExactlyInAnyOrder("name", "count");
    }

    @Test
    void wrongPathVariableTypeIs400() throws Exception {
        Answer answer = get("/probe/square/abc");

        answer.assertProblem(400, "type-mismatch");
    }

    @Test
    void wrongContentTypeIs415() throws Exception {
        Answer answer = post("/probe/echo", "text/plain", "name=x");

        answer.assertProblem(415, "unsupported-media-type");
    }

    @Test
    void wrongMethodIs405() throws Exception {
        Answer answer = get("/probe/echo");

        answer.assertProblem(405, "method-not-allowed");
    }

    @Test
    void unknownRouteIs404() throws Exception {
        Answer answer = get("/no/such/route");

        answer.assertProblem(404, "not-found");
    }

    @Test
    void hugeBodyWithContentLengthIs413() throws Exception {
        String huge = "{\"name\": \"" + "x".repeat(2 * 1024 * 1024) + "\", \"count\": 1}";

        Answer answer = post("/probe/echo", "application/json", huge);

        answer.assertProblem(413, "payload-too-large");
    }

    @Test
    void hugeChunkedBodyIs413() throws Exception {
        byte[] huge = ("{\"name\": \"" + "x".repeat(2 * 1024 * 1024) + "\", \"count\": 1}").getBytes();
        HttpRequest request = HttpRequest.newBuilder(uri("/probe/echo"))
                .header("Content-Type", "application/json")
                // an InputStream publisher has no known length: the client sends it chunked
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(huge)))
                .build();

        Answer answer = send(request);

        answer.assertProblem(413, "payload-too-large");
    }

    @Test
    void unexpectedFailureIs500WithoutDetails() throws Exception {
        Answer answer = get("/probe/boom");

        answer.assertProblem(500, "internal-error");
        assertThat(answer.raw()).doesNotContain("secret internal detail").doesNotContain("IllegalStateException");
    }

    @Test
    void validRequestStillWorks() throws Exception {
        Answer answer = post("/probe/echo", "application/json", "{\"name\": \"x\", \"count\": 3}");

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.body().path("count").asInt()).isEqualTo(3);
    }

    private Answer get(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).GET().build());
    }

    private Answer post(String path, String contentType, String body) throws Exception {
        return send(HttpRequest.newBuilder(uri(path))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    private Answer send(HttpRequest request) throws Exception {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
                response.body(), parse(response.body()));
    }

    private JsonNode parse(String body) {
        try {
            return json.readTree(body);
        } catch (Exception notJson) {
            return json.missingNode();
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    record Answer(int status, String contentType, String raw, JsonNode body) {

        void assertProblem(int expectedStatus, String expectedCode) {
            assertThat(status).as(raw).isEqualTo(expectedStatus);
            assertThat(contentType).startsWith("application/problem+json");
            assertThat(body.path("code").asText()).isEqualTo(expectedCode);
            assertThat(body.path("type").asText()).isEqualTo("urn:switchyard:problem:" + expectedCode);
            assertThat(body.path("status").asInt()).isEqualTo(expectedStatus);
            assertThat(raw).doesNotContain("\tat ").doesNotContain("Exception");
        }
    }
}
