package io.switchyard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.support.security.AccessTokens;
import io.switchyard.user.User;
import io.switchyard.user.UserProfile;
import io.switchyard.user.UserRepository;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Every error the committed OpenAPI document lists, per operation, answered by a real request: the documented
 * status, a code listed for that status, and a body that fits the document's Problem schema. A documented error
 * that this test cannot provoke on the embedded default must be named below with the test that covers it, so a
 * new documented error without a test fails here. Same configuration as EmbeddedChatIT (one cached context).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "switchyard.app.color=green")
class DocumentedErrorsIT {

    /** Codes whose situation needs a configured Kakao, a store outage or a server fault: tested there. */
    static final Map<String, String> COVERED_ELSEWHERE = Map.of(
            "internal-error", "ErrorHandlingIT.unexpectedFailureIs500WithoutDetails",
            "store-unavailable", "AuthControllerTest (Redis down)",
            "redirect-uri-not-allowed", "KakaoLoginIT (Kakao configured)",
            "invalid-state", "KakaoLoginIT",
            "invalid-code-verifier", "KakaoLoginIT",
            "kakao-invalid-grant", "KakaoLoginIT",
            "kakao-bad-gateway", "KakaoLoginIT",
            "kakao-rejected", "KakaoLoginIT",
            "kakao-unavailable", "KakaoLoginIT");

    @LocalServerPort
    int port;

    @Autowired
    UserRepository users;

    @Autowired
    AccessTokens tokens;

    @Autowired
    RefreshTokens refreshTokens;

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void everyDocumentedErrorIsWhatTheServerAnswers() throws Exception {
        JsonNode document = json.readTree(Files.readString(Path.of("docs/api/openapi.json")));
        JsonNode problemSchema = document.at("/components/schemas/Problem");
        long me = user("contract");
        String token = tokens.issue(me).value();
        long myRoom = createRoom(token);
        long othersRoom = createRoom(tokens.issue(user("other")).value());
        List<String> exercised = new ArrayList<>();
        List<String> unprovoked = new ArrayList<>();

        for (var path : iterable(document.path("paths").fields())) {
            for (var operation : iterable(path.getValue().fields())) {
                String method = operation.getKey().toUpperCase();
                for (var response : iterable(operation.getValue().path("responses").fields())) {
                    int status = Integer.parseInt(response.getKey());
                    if (status < 400) {
                        continue;
                    }
                    for (var code : iterable(response.getValue().at("/content/application~1problem+json/examples")
                            .fieldNames())) {
                        String what = method + " " + path.getKey() + " -> " + status + " " + code;
                        Call call = provoke(code, method, path.getKey(), operation.getValue(), token, myRoom,
                                othersRoom);
                        if (call == null) {
                            if (!COVERED_ELSEWHERE.containsKey(code)) {
                                unprovoked.add(what);
                            }
                            continue;
                        }
                        HttpResponse<String> answer = send(call);
                        assertThat(answer.statusCode()).as(what + ": " + answer.body()).isEqualTo(status);
                        assertThat(answer.headers().firstValue("Content-Type").orElse(""))
                                .as(what).startsWith("application/problem+json");
                        JsonNode body = json.readTree(answer.body());
                        assertThat(body.path("code").asText()).as(what).isEqualTo(code);
                        assertFits(body, problemSchema, what);
                        exercised.add(what);
                    }
                }
            }
        }
        System.out.println("CONTRACT documented errors answered by real requests: " + exercised.size()
                + "; covered by other tests: " + COVERED_ELSEWHERE.keySet());
        assertThat(unprovoked).as("documented errors no test provokes").isEmpty();
        assertThat(exercised).hasSizeGreaterThan(60);
    }

    /** A request that answers {@code code} on this operation, or null for the codes covered elsewhere. */
    private Call provoke(String code, String method, String template, JsonNode operation, String token, long myRoom,
            long othersRoom) throws Exception {
        boolean hasBody = operation.has("requestBody");
        String path = template.replace("{roomId}", Long.toString(myRoom));
        String validBody = template.contains("/read") ? "{}" : template.equals("/api/rooms") ? "{\"name\":\"x\"}"
                : template.endsWith("/kakao/login") ? "{\"code\":\"c\",\"state\":\"s\",\"redirectUri\":\"u\"}"
                : "{\"refreshToken\":\"" + "r".repeat(10) + "\"}";
        String query = template.endsWith("authorize-url") ? "?redirectUri=https://app.example.test/cb" : "";
        return switch (code) {
            case "unauthorized" -> new Call(method, path + query, hasBody ? validBody : null, null, "application/json");
            case "invalid-token" -> new Call(method, path + query, hasBody ? validBody : null, "not-a-token",
                    "application/json");
            case "malformed-body" -> new Call(method, path + query, "{\"name\": ", token, "application/json");
            case "unsupported-media-type" -> new Call(method, path + query, "name=x", token, "text/plain");
            case "payload-too-large" -> new Call(method, path + query, "{\"name\": \"" + "x".repeat(1_100_000)
                    + "\"}", token, "application/json");
            case "validation-failed" -> template.endsWith("authorize-url")
                    ? new Call(method, path + "?redirectUri=", null, null, null)
                    : new Call(method, path, "{}", token, "application/json");
            case "missing-parameter" -> new Call(method, path, null, null, null);
            case "type-mismatch" -> template.contains("{roomId}")
                    ? new Call(method, template.replace("{roomId}", "abc"), hasBody ? validBody : null, token,
                            "application/json")
                    : new Call(method, path + "?limit=many", null, token, null);
            case "room-not-found" -> new Call(method, template.replace("{roomId}", "999999999"),
                    hasBody ? validBody : null, token, "application/json");
            case "not-a-member" -> new Call(method, template.replace("{roomId}", Long.toString(othersRoom)),
                    hasBody ? validBody : null, token, "application/json");
            case "invalid-limit" -> new Call(method, path + "?limit=0", null, token, null);
            case "invalid-cursor" -> new Call(method, path + (template.endsWith("/messages") ? "?before=-1"
                    : "?cursor=not-ours"), null, token, null);
            case "user-not-found" -> new Call(method, path, null, tokens.issue(Long.MAX_VALUE - 7).value(), null);
            case "kakao-not-configured" -> new Call(method, path + query, hasBody ? validBody : null, null,
                    "application/json");
            case "invalid-refresh-token" -> new Call(method, path, "{\"refreshToken\":\"unknown.token\"}", null,
                    "application/json");
            case "refresh-token-reused" -> new Call(method, path, "{\"refreshToken\":\"" + reusedRefreshToken()
                    + "\"}", null, "application/json");
            default -> null;
        };
    }

    /** A refresh token whose successor has itself been rotated: presenting it again is a reuse. */
    private String reusedRefreshToken() throws Exception {
        String first = refreshTokens.issue(user("reuser")).token();
        String second = json.readTree(send(new Call("POST", "/api/auth/refresh", "{\"refreshToken\":\"" + first
                + "\"}", null, "application/json")).body()).path("refreshToken").asText();
        send(new Call("POST", "/api/auth/refresh", "{\"refreshToken\":\"" + second + "\"}", null, "application/json"));
        return first;
    }

    /** The document's Problem schema: its required properties are there, and every property has its type. */
    private static void assertFits(JsonNode body, JsonNode schema, String what) {
        schema.path("required").forEach(name -> assertThat(body.has(name.asText()))
                .as(what + ": required " + name.asText()).isTrue());
        for (var property : iterable(body.fields())) {
            JsonNode declared = schema.path("properties").path(property.getKey());
            assertThat(declared.isMissingNode()).as(what + ": undocumented field " + property.getKey()).isFalse();
            String type = declared.path("type").asText();
            JsonNode value = property.getValue();
            boolean fits = switch (type) {
                case "string" -> value.isTextual();
                case "integer" -> value.isIntegralNumber();
                case "array" -> value.isArray();
                default -> true;
            };
            assertThat(fits).as(what + ": " + property.getKey() + " is a " + type).isTrue();
        }
    }

    private long user(String nickname) {
        return users.save(User.register(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE),
                new UserProfile(nickname, null, null, null), Instant.now())).getId();
    }

    private long createRoom(String token) throws Exception {
        return json.readTree(send(new Call("POST", "/api/rooms", "{\"name\":\"errors\"}", token, "application/json"))
                .body()).path("id").asLong();
    }

    private HttpResponse<String> send(Call call) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + call.path()))
                .timeout(Duration.ofSeconds(30))
                .method(call.method(), call.body() == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(call.body()));
        if (call.body() != null && call.contentType() != null) {
            request.header("Content-Type", call.contentType());
        }
        if (call.token() != null) {
            request.header("Authorization", "Bearer " + call.token());
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> iterator) {
        return () -> iterator;
    }

    record Call(String method, String path, String body, String token, String contentType) {
    }
}
