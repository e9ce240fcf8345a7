package io.switchyard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.testsupport.RealStores;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * One application context for every auth IT: real MariaDB (users) and real Redis (states, refresh tokens) that
 * scripts/test.sh starts, and Kakao replaced by {@link KakaoStub}. Subclasses add no configuration, so Spring's
 * test context cache starts it once.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class AuthIntegrationSupport {

    static final String REDIRECT_URI = "https://app.example.test/oauth/kakao";
    static final String OTHER_REDIRECT_URI = "http://localhost:3000/callback?from=login";
    static final Duration KAKAO_READ_TIMEOUT = Duration.ofSeconds(1);
    static final Duration REUSE_GRACE = Duration.ofSeconds(1);

    static final KakaoStub kakao = KakaoStub.instance();

    @DynamicPropertySource
    static void stores(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", RealStores::mysqlUrl);
        registry.add("spring.datasource.username", RealStores::mysqlUsername);
        registry.add("spring.datasource.password", RealStores::mysqlPassword);
        registry.add("switchyard.embedded.redis", () -> "false");
        registry.add("spring.data.redis.host", RealStores::redisHost);
        registry.add("spring.data.redis.port", RealStores::redisPort);
        registry.add("switchyard.auth.kakao.auth-base-url", kakao::authBaseUrl);
        registry.add("switchyard.auth.kakao.api-base-url", kakao::apiBaseUrl);
        registry.add("switchyard.auth.kakao.client-id", () -> "test-client-id");
        registry.add("switchyard.auth.kakao.client-secret", () -> "test-client-secret");
        registry.add("switchyard.auth.kakao.allowed-redirect-uris", () -> REDIRECT_URI + "," + OTHER_REDIRECT_URI);
        registry.add("switchyard.auth.kakao.connect-timeout", () -> "1s");
        registry.add("switchyard.auth.kakao.read-timeout", () -> KAKAO_READ_TIMEOUT.toMillis() + "ms");
        registry.add("switchyard.auth.refresh-reuse-grace", () -> REUSE_GRACE.toMillis() + "ms");
    }

    @LocalServerPort
    int port;

    @Autowired
    ObjectMapper json;

    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** The codeVerifier authorize-url answered with each state, as a client keeps it for the login call. */
    final Map<String, String> verifiers = new ConcurrentHashMap<>();

    @BeforeEach
    void resetKakao() {
        kakao.reset();
    }

    static long newKakaoId() {
        return ThreadLocalRandom.current().nextLong(1_000_000_000L, 9_000_000_000_000L);
    }

    /** Asks for an authorize URL and returns its state, as a client would before sending the browser to Kakao. */
    String issueState(String redirectUri) throws Exception {
        Answer answer = get("/api/auth/kakao/authorize-url?redirectUri=" + encode(redirectUri), null);
        assertThat(answer.status()).as(answer.raw()).isEqualTo(200);
        String state = answer.body().path("state").asText();
        verifiers.put(state, answer.body().path("codeVerifier").asText());
        return state;
    }

    /** The login call with the verifier its state came with (none for a state we never asked for). */
    Answer login(String code, String state, String redirectUri) throws Exception {
        return login(code, state, redirectUri, verifiers.get(state));
    }

    Answer login(String code, String state, String redirectUri, String codeVerifier) throws Exception {
        String verifier = codeVerifier == null ? "" : ",\"codeVerifier\":\"" + codeVerifier + "\"";
        return post("/api/auth/kakao/login", """
                {"code":"%s","state":"%s","redirectUri":"%s"%s}""".formatted(code, state, redirectUri, verifier));
    }

    /** A full successful login of a user who agreed to everything; returns the login answer. */
    Answer signIn(long kakaoId) throws Exception {
        kakao.succeedsWith(KakaoStub.fullConsentUser(kakaoId, "Tester", "tester" + kakaoId + "@example.test"));
        Answer answer = login("code-" + kakaoId, issueState(REDIRECT_URI), REDIRECT_URI);
        assertThat(answer.status()).as(answer.raw()).isEqualTo(200);
        return answer;
    }

    Answer refresh(String refreshToken) throws Exception {
        return post("/api/auth/refresh", "{\"refreshToken\":\"" + refreshToken + "\"}");
    }

    Answer get(String path, String accessToken) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET();
        if (accessToken != null) {
            request.header("Authorization", "Bearer " + accessToken);
        }
        return send(request.build());
    }

    Answer post(String path, String body) throws Exception {
        return post(path, body, null);
    }

    /** With {@code bearer}: as a client whose HTTP layer adds its (maybe stale) access token to every call. */
    Answer post(String path, String body, String bearer) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return send(request.build());
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private Answer send(HttpRequest request) throws Exception {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        JsonNode body;
        try {
            body = response.body().isEmpty() ? json.missingNode() : json.readTree(response.body());
        } catch (Exception notJson) {
            body = json.missingNode();
        }
        return new Answer(response, body);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    record Answer(HttpResponse<String> response, JsonNode body) {

        int status() {
            return response.statusCode();
        }

        String raw() {
            return response.body();
        }

        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }

        void assertProblem(int expectedStatus, String expectedCode) {
            assertThat(status()).as(raw()).isEqualTo(expectedStatus);
            assertThat(header("Content-Type")).startsWith("application/problem+json");
            assertThat(body.path("code").asText()).as(raw()).isEqualTo(expectedCode);
            assertThat(body.path("type").asText()).isEqualTo("urn:switchyard:problem:" + expectedCode);
            assertThat(raw()).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }
}
