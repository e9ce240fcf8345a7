package io.switchyard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.util.UriComponentsBuilder;

/** The Kakao authorization-code login end to end: our API, a stub Kakao, real MariaDB and Redis. */
class KakaoLoginIT extends AuthIntegrationSupport {

    @Autowired
    JdbcTemplate jdbc;

    @Test
    void authorizeUrlPointsAtKakaoWithOurClientRedirectAndState() throws Exception {
        Answer answer = get("/api/auth/kakao/authorize-url?redirectUri=" + encode(OTHER_REDIRECT_URI), null);

        assertThat(answer.status()).as(answer.raw()).isEqualTo(200);
        String url = answer.body().path("authorizeUrl").asText();
        assertThat(url).startsWith(kakao.authBaseUrl() + "/oauth/authorize?");
        Map<String, List<String>> query = UriComponentsBuilder.fromUriString(url).build().getQueryParams();
        assertThat(decoded(query, "response_type")).isEqualTo("code");
        assertThat(decoded(query, "client_id")).isEqualTo("test-client-id");
        assertThat(decoded(query, "redirect_uri")).isEqualTo(OTHER_REDIRECT_URI);
        assertThat(decoded(query, "state")).isEqualTo(answer.body().path("state").asText()).hasSize(43);
        assertThat(answer.body().path("stateExpiresIn").asLong()).isEqualTo(600);
        String verifier = answer.body().path("codeVerifier").asText();
        assertThat(verifier).hasSize(43).matches("[A-Za-z0-9_-]+");
        assertThat(decoded(query, "code_challenge_method")).isEqualTo("S256");
        assertThat(decoded(query, "code_challenge")).isEqualTo(KakaoStub.s256(verifier));
        assertThat(url).doesNotContain(verifier);
    }

    @Test
    void pkceRoundTripThroughTheStubsAuthorizeStep() throws Exception {
        long kakaoId = newKakaoId();
        kakao.succeedsWith(KakaoStub.fullConsentUser(kakaoId, "Pkce", "pkce@example.test"));
        Answer started = get("/api/auth/kakao/authorize-url?redirectUri=" + encode(REDIRECT_URI), null);
        Redirect back = browserAt(started.body().path("authorizeUrl").asText());
        assertThat(back.state()).isEqualTo(started.body().path("state").asText());

        Answer answer = login(back.code(), back.state(), REDIRECT_URI, started.body().path("codeVerifier").asText());

        assertThat(answer.status()).as("the stub checked the verifier against the challenge: " + answer.raw())
                .isEqualTo(200);
    }

    @Test
    void aCodeFromAnotherFlowIsRefusedByKakaosPkceCheck() throws Exception {
        kakao.succeedsWith(KakaoStub.fullConsentUser(newKakaoId(), "Victim", "victim@example.test"));
        Answer attacker = get("/api/auth/kakao/authorize-url?redirectUri=" + encode(REDIRECT_URI), null);
        Redirect attackersCode = browserAt(attacker.body().path("authorizeUrl").asText());
        String victimsState = issueState(REDIRECT_URI);

        // the attacker's code injected into the victim's flow: the verifier sent is the victim's
        login(attackersCode.code(), victimsState, REDIRECT_URI).assertProblem(401, "kakao-invalid-grant");
    }

    @Test
    void theStubRefusesAWrongVerifier() throws Exception {
        kakao.succeedsWith(KakaoStub.fullConsentUser(newKakaoId(), "Stub", "stub@example.test"));
        Redirect back = browserAt(get("/api/auth/kakao/authorize-url?redirectUri=" + encode(REDIRECT_URI), null)
                .body().path("authorizeUrl").asText());
        var exchange = java.net.http.HttpRequest.newBuilder(java.net.URI.create(kakao.authBaseUrl() + "/oauth/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("grant_type=authorization_code&code="
                        + back.code() + "&code_verifier=" + "w".repeat(43)))
                .build();

        var answer = client.send(exchange, java.net.http.HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.body()).contains("invalid_grant");
    }

    @Test
    void theLoginCallMustBringTheVerifierOfItsState() throws Exception {
        kakao.succeedsWith(KakaoStub.fullConsentUser(newKakaoId(), "Bound", "bound@example.test"));

        login("a-code", issueState(REDIRECT_URI), REDIRECT_URI, "x".repeat(43))
                .assertProblem(400, "invalid-code-verifier");
        String state = issueState(REDIRECT_URI);
        post("/api/auth/kakao/login", "{\"code\":\"a-code\",\"state\":\"" + state + "\",\"redirectUri\":\""
                + REDIRECT_URI + "\"}").assertProblem(400, "invalid-code-verifier");
        login("a-code", state, REDIRECT_URI).assertProblem(400, "invalid-state");
        assertThat(kakao.requests()).as("Kakao is never called without the caller's verifier").isEmpty();
    }

    @Test
    void aStaleBearerHeaderDoesNotStopTheLogin() throws Exception {
        long kakaoId = newKakaoId();
        kakao.succeedsWith(KakaoStub.fullConsentUser(kakaoId, "Stale", "stale@example.test"));
        String state = issueState(REDIRECT_URI);

        Answer answer = post("/api/auth/kakao/login", """
                {"code":"c","state":"%s","redirectUri":"%s","codeVerifier":"%s"}"""
                .formatted(state, REDIRECT_URI, verifiers.get(state)), "expired.or.garbage");

        assertThat(answer.status()).as(answer.raw()).isEqualTo(200);
    }

    record Redirect(String code, String state) {
    }

    /** The browser at Kakao: the stub consents and redirects back (not followed). */
    private Redirect browserAt(String authorizeUrl) throws Exception {
        var response = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(authorizeUrl)).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        assertThat(response.statusCode()).isEqualTo(302);
        Map<String, List<String>> query = UriComponentsBuilder.fromUriString(
                response.headers().firstValue("Location").orElseThrow()).build().getQueryParams();
        return new Redirect(decoded(query, "code"), decoded(query, "state"));
    }

    @Test
    void redirectUriNotOnTheAllowListIs400() throws Exception {
        Answer authorize = get("/api/auth/kakao/authorize-url?redirectUri=" + encode("https://evil.example/cb"), null);
        Answer login = login("some-code", issueState(REDIRECT_URI), "https://evil.example/cb");

        authorize.assertProblem(400, "redirect-uri-not-allowed");
        login.assertProblem(400, "redirect-uri-not-allowed");
        assertThat(kakao.requests()).as("Kakao is never called").isEmpty();
    }

    @Test
    void fullConsentLoginCreatesTheUserAndAnswersTokens() throws Exception {
        long kakaoId = newKakaoId();
        kakao.succeedsWith(KakaoStub.fullConsentUser(kakaoId, "라이언 Ryan", "ryan@example.test"));

        Answer answer = login("the-code", issueState(REDIRECT_URI), REDIRECT_URI);

        assertThat(answer.status()).as(answer.raw()).isEqualTo(200);
        assertThat(answer.body().path("tokenType").asText()).isEqualTo("Bearer");
        assertThat(answer.body().path("expiresIn").asLong()).isEqualTo(900);
        assertThat(answer.body().path("refreshToken").asText()).isNotBlank();
        assertThat(answer.body().path("user").path("nickname").asText()).isEqualTo("라이언 Ryan");
        assertThat(answer.body().path("user").path("email").asText()).isEqualTo("ryan@example.test");

        Answer me = get("/api/users/me", answer.body().path("accessToken").asText());
        assertThat(me.status()).as(me.raw()).isEqualTo(200);
        assertThat(me.body().path("id").asLong()).isEqualTo(answer.body().path("user").path("id").asLong());
        assertThat(me.body().path("profileImageUrl").asText()).isEqualTo("https://k.kakaocdn.net/dn/p/img_640x640.jpg");
        assertThat(me.body().path("thumbnailImageUrl").asText()).isEqualTo("https://k.kakaocdn.net/dn/p/img_110x110.jpg");

        Map<String, Object> row = jdbc.queryForMap("SELECT * FROM users WHERE kakao_id = ?", kakaoId);
        assertThat(row.get("nickname")).isEqualTo("라이언 Ryan");
        assertThat(row.get("email")).isEqualTo("ryan@example.test");
        assertThat(row.get("last_login_at")).isNotNull();

        List<RecordedRequest> calls = kakao.requests();
        assertThat(calls).hasSize(2);
        RecordedRequest token = calls.get(0);
        assertThat(token.getMethod()).isEqualTo("POST");
        assertThat(token.getPath()).isEqualTo(KakaoStub.AUTH_PREFIX + "/oauth/token");
        assertThat(token.getHeader("Content-Type")).startsWith("application/x-www-form-urlencoded");
        assertThat(form(token.getBody().readUtf8())).containsEntry("grant_type", "authorization_code")
                .containsEntry("code", "the-code")
                .containsEntry("client_id", "test-client-id")
                .containsEntry("client_secret", "test-client-secret")
                .containsEntry("redirect_uri", REDIRECT_URI)
                .containsKey("code_verifier");
        RecordedRequest user = calls.get(1);
        assertThat(user.getPath()).startsWith(KakaoStub.API_PREFIX + "/v2/user/me");
        assertThat(user.getHeader("Authorization")).startsWith("Bearer kakao-access-");
    }

    @Test
    void loginWithoutAnyOptionalConsentStillWorksWithAGeneratedNickname() throws Exception {
        long kakaoId = newKakaoId();
        kakao.succeedsWith(KakaoStub.noConsentUser(kakaoId));

        Answer answer = login("a-code", issueState(REDIRECT_URI), REDIRECT_URI);

        assertThat(answer.status()).as(answer.raw()).isEqualTo(200);
        String nickname = answer.body().path("user").path("nickname").asText();
        assertThat(nickname).matches("user-[a-z0-9]{8}");
        assertThat(answer.body().path("user").has("email")).isFalse();
        assertThat(answer.body().path("user").has("profileImageUrl")).isFalse();

        // the next login, still without a nickname, keeps the generated one instead of inventing another
        kakao.succeedsWith(KakaoStub.noConsentUser(kakaoId));
        Answer again = login("another-code", issueState(REDIRECT_URI), REDIRECT_URI);
        assertThat(again.body().path("user").path("nickname").asText()).isEqualTo(nickname);
        assertThat(again.body().path("user").path("id").asLong())
                .isEqualTo(answer.body().path("user").path("id").asLong());
    }

    @Test
    void laterLoginUpdatesTheProfileOfTheSameUser() throws Exception {
        long kakaoId = newKakaoId();
        long id = signIn(kakaoId).body().path("user").path("id").asLong();
        kakao.succeedsWith(KakaoStub.fullConsentUser(kakaoId, "Renamed", "new@example.test"));

        Answer again = login("code-2", issueState(REDIRECT_URI), REDIRECT_URI);

        assertThat(again.body().path("user").path("id").asLong()).isEqualTo(id);
        assertThat(again.body().path("user").path("nickname").asText()).isEqualTo("Renamed");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM users WHERE kakao_id = ?", Integer.class, kakaoId))
                .isEqualTo(1);
    }

    @Test
    void racingFirstLoginsOfOnePersonMakeOneUser() throws Exception {
        long kakaoId = newKakaoId();
        kakao.succeedsWith(KakaoStub.fullConsentUser(kakaoId, "Twin", "twin@example.test"));
        List<String> states = List.of(issueState(REDIRECT_URI), issueState(REDIRECT_URI), issueState(REDIRECT_URI));
        ExecutorService pool = Executors.newFixedThreadPool(states.size());
        try {
            List<Future<Answer>> answers = new ArrayList<>();
            for (String state : states) {
                answers.add(pool.submit(() -> login("code-" + state, state, REDIRECT_URI)));
            }
            Set<Long> ids = new HashSet<>();
            for (Future<Answer> answer : answers) {
                Answer done = answer.get(30, TimeUnit.SECONDS);
                assertThat(done.status()).as(done.raw()).isEqualTo(200);
                ids.add(done.body().path("user").path("id").asLong());
            }
            assertThat(ids).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM users WHERE kakao_id = ?", Integer.class, kakaoId))
                .isEqualTo(1);
    }

    @Test
    void invalidGrantIs401AndCreatesNoUser() throws Exception {
        kakao.tokenAnswers(KakaoStub.json(400, KakaoStub.invalidGrant()));
        int usersBefore = userCount();

        Answer answer = login("used-code", issueState(REDIRECT_URI), REDIRECT_URI);

        answer.assertProblem(401, "kakao-invalid-grant");
        assertThat(userCount()).isEqualTo(usersBefore);
        assertThat(kakao.requests()).as("only the token call, never /v2/user/me").hasSize(1);
    }

    @Test
    void kakaoServerErrorIs502() throws Exception {
        kakao.tokenAnswers(KakaoStub.json(500, "{\"msg\":\"internal error\"}"));

        Answer onToken = login("a-code", issueState(REDIRECT_URI), REDIRECT_URI);

        onToken.assertProblem(502, "kakao-bad-gateway");

        kakao.tokenAnswers(KakaoStub.json(200, KakaoStub.tokenJson("kakao-access")));
        kakao.userAnswers(KakaoStub.json(503, "{\"msg\":\"system maintenance\",\"code\":-9798}"));
        Answer onUser = login("a-code", issueState(REDIRECT_URI), REDIRECT_URI);

        onUser.assertProblem(502, "kakao-bad-gateway");
    }

    @Test
    void otherKakaoRefusalIs502NotTheClientsFault() throws Exception {
        kakao.tokenAnswers(KakaoStub.json(401,
                "{\"error\":\"invalid_client\",\"error_description\":\"Bad client credentials\",\"error_code\":\"KOE010\"}"));

        login("a-code", issueState(REDIRECT_URI), REDIRECT_URI).assertProblem(502, "kakao-rejected");
    }

    @Test
    void kakaoSlowerThanTheReadTimeoutIs503WithinTheTimeout() throws Exception {
        kakao.tokenAnswers(KakaoStub.json(200, KakaoStub.tokenJson("late")).setHeadersDelay(10, TimeUnit.SECONDS));
        String state = issueState(REDIRECT_URI);

        long started = System.nanoTime();
        Answer answer = login("a-code", state, REDIRECT_URI);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

        answer.assertProblem(503, "kakao-unavailable");
        assertThat(elapsed).isGreaterThanOrEqualTo(KAKAO_READ_TIMEOUT.minusMillis(100))
                .isLessThan(KAKAO_READ_TIMEOUT.plusSeconds(3));
    }

    @Test
    void kakaoTricklingItsBodyIsCutAtTheReadTimeoutToo() throws Exception {
        kakao.tokenAnswers(KakaoStub.json(200, KakaoStub.tokenJson("slow-body"))
                .throttleBody(8, 500, TimeUnit.MILLISECONDS));
        String state = issueState(REDIRECT_URI);

        long started = System.nanoTime();
        Answer answer = login("a-code", state, REDIRECT_URI);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

        answer.assertProblem(503, "kakao-unavailable");
        assertThat(elapsed).isLessThan(KAKAO_READ_TIMEOUT.plusSeconds(3));
    }

    @Test
    void kakaoDroppingTheConnectionIs503() throws Exception {
        kakao.tokenAnswers(new MockResponse().setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST));

        login("a-code", issueState(REDIRECT_URI), REDIRECT_URI).assertProblem(503, "kakao-unavailable");
    }

    @Test
    void badMissingReusedOrMismatchedStateIs400() throws Exception {
        long kakaoId = newKakaoId();
        kakao.succeedsWith(KakaoStub.fullConsentUser(kakaoId, "State", "state@example.test"));

        login("a-code", "A".repeat(43), REDIRECT_URI).assertProblem(400, "invalid-state");
        login("a-code", "not a state", REDIRECT_URI).assertProblem(400, "invalid-state");
        post("/api/auth/kakao/login", "{\"code\":\"a-code\",\"redirectUri\":\"" + REDIRECT_URI + "\"}")
                .assertProblem(400, "validation-failed");
        // issued for one redirect URI, presented with another (allowed) one
        login("a-code", issueState(OTHER_REDIRECT_URI), REDIRECT_URI).assertProblem(400, "invalid-state");
        assertThat(kakao.requests()).as("Kakao is never called with a bad state").isEmpty();

        String state = issueState(REDIRECT_URI);
        assertThat(login("a-code", state, REDIRECT_URI).status()).isEqualTo(200);
        login("a-code", state, REDIRECT_URI).assertProblem(400, "invalid-state");
    }

    private int userCount() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM users", Integer.class);
    }

    private static String decoded(Map<String, List<String>> query, String name) {
        return URLDecoder.decode(query.get(name).get(0), StandardCharsets.UTF_8);
    }

    private static Map<String, String> form(String body) {
        Map<String, String> values = new java.util.HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            values.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return values;
    }
}
