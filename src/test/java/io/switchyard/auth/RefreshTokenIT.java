package io.switchyard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.StringRedisTemplate;

/** Rotating refresh tokens in the real Redis: rotation, reuse detection, logout. */
class RefreshTokenIT extends AuthIntegrationSupport {

    @Autowired
    StringRedisTemplate redis;

    @Test
    void refreshRotatesTheTokenAndAnswersAWorkingAccessToken() throws Exception {
        Answer login = signIn(newKakaoId());
        String first = login.body().path("refreshToken").asText();

        Answer refreshed = refresh(first);

        assertThat(refreshed.status()).as(refreshed.raw()).isEqualTo(200);
        String second = refreshed.body().path("refreshToken").asText();
        assertThat(second).isNotBlank().isNotEqualTo(first);
        assertThat(refreshed.body().path("expiresIn").asLong()).isEqualTo(900);
        Answer me = get("/api/users/me", refreshed.body().path("accessToken").asText());
        assertThat(me.status()).isEqualTo(200);
        assertThat(me.body().path("id").asLong()).isEqualTo(login.body().path("user").path("id").asLong());

        assertThat(refresh(second).status()).as("the new token rotates in turn").isEqualTo(200);
    }

    @Test
    void reusingARotatedTokenAfterTheGraceWindowRevokesTheWholeFamily() throws Exception {
        String first = signIn(newKakaoId()).body().path("refreshToken").asText();
        String second = refresh(first).body().path("refreshToken").asText();
        pastTheGrace();

        Answer replay = refresh(first);

        replay.assertProblem(401, "refresh-token-reused");
        refresh(second).assertProblem(401, "invalid-refresh-token");
        refresh(first).assertProblem(401, "invalid-refresh-token");
    }

    @Test
    void anotherLoginIsAnotherFamilyAndSurvivesTheRevocation() throws Exception {
        long kakaoId = newKakaoId();
        String phone = signIn(kakaoId).body().path("refreshToken").asText();
        String laptop = signIn(kakaoId).body().path("refreshToken").asText();
        refresh(phone);
        pastTheGrace();

        refresh(phone).assertProblem(401, "refresh-token-reused");

        assertThat(refresh(laptop).status()).isEqualTo(200);
    }

    @Test
    void concurrentRefreshesWithOneTokenKeepTheUserSignedInWithOneLineage() throws Exception {
        String token = signIn(newKakaoId()).body().path("refreshToken").asText();
        String family = token.substring(0, token.indexOf('.'));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Answer> answers;
        try {
            Callable<Answer> attempt = () -> refresh(token);
            answers = pool.invokeAll(List.of(attempt, attempt, attempt, attempt)).stream().map(future -> {
                try {
                    return future.get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(5, TimeUnit.SECONDS);
        }

        assertThat(answers).allSatisfy(answer -> assertThat(answer.status()).as(answer.raw()).isEqualTo(200));
        Set<String> successors = answers.stream().map(a -> a.body().path("refreshToken").asText())
                .collect(java.util.stream.Collectors.toSet());
        assertThat(successors).as("one lineage: everybody got the same next token").hasSize(1);
        assertThat(activeTokens(family)).as("one active token in the family").isEqualTo(1);
        for (Answer answer : answers) {
            assertThat(get("/api/users/me", answer.body().path("accessToken").asText()).status()).isEqualTo(200);
        }
        String next = successors.iterator().next();
        assertThat(refresh(next).status()).as("the lineage goes on").isEqualTo(200);
    }

    @Test
    void aRepeatWithinTheGraceAfterTheSuccessorMovedOnIsAReuse() throws Exception {
        String first = signIn(newKakaoId()).body().path("refreshToken").asText();
        String second = refresh(first).body().path("refreshToken").asText();
        String third = refresh(second).body().path("refreshToken").asText();

        refresh(first).assertProblem(401, "refresh-token-reused");
        refresh(third).assertProblem(401, "invalid-refresh-token");
    }

    @Test
    void aStaleBearerHeaderDoesNotStopTheRefresh() throws Exception {
        String token = signIn(newKakaoId()).body().path("refreshToken").asText();

        Answer refreshed = post("/api/auth/refresh", "{\"refreshToken\":\"" + token + "\"}", "stale.access.token");

        assertThat(refreshed.status()).as(refreshed.raw()).isEqualTo(200);
        assertThat(post("/api/auth/logout", "{\"refreshToken\":\"" + refreshed.body().path("refreshToken").asText()
                + "\"}", "stale.access.token").status()).isEqualTo(204);
        assertThat(get("/api/users/me", "stale.access.token").status()).as("elsewhere it still counts")
                .isEqualTo(401);
    }

    @Test
    void aLoginEndsAtItsAbsoluteLifetimeHoweverOftenItRefreshes() throws Exception {
        String token = signIn(newKakaoId()).body().path("refreshToken").asText();
        String family = token.substring(0, token.indexOf('.'));
        redis.expire("auth:rtf:{" + family + "}", Duration.ofMillis(2500)); // as if signed in 30 days ago

        String next = refresh(token).body().path("refreshToken").asText();
        assertThat(redis.getExpire("auth:rtf:{" + family + "}", TimeUnit.MILLISECONDS))
                .as("a rotation does not renew the login").isLessThanOrEqualTo(2500);
        Set<String> tokenKeys = redis.keys("auth:rt:{" + family + "}:*");
        assertThat(tokenKeys).allSatisfy(key -> assertThat(redis.getExpire(key, TimeUnit.MILLISECONDS))
                .as("no token outlives the login").isLessThanOrEqualTo(2500));
        Thread.sleep(2700);

        refresh(next).assertProblem(401, "invalid-refresh-token");
    }

    private long activeTokens(String family) {
        return redis.keys("auth:rt:{" + family + "}:*").stream()
                .filter(key -> "active".equals(redis.opsForHash().get(key, "state"))).count();
    }

    private static void pastTheGrace() throws InterruptedException {
        Thread.sleep(REUSE_GRACE.toMillis() + 300);
    }

    @Test
    void logoutRevokesAndIsIdempotent() throws Exception {
        String token = signIn(newKakaoId()).body().path("refreshToken").asText();

        Answer logout = post("/api/auth/logout", "{\"refreshToken\":\"" + token + "\"}");

        assertThat(logout.status()).isEqualTo(204);
        refresh(token).assertProblem(401, "invalid-refresh-token");
        assertThat(post("/api/auth/logout", "{\"refreshToken\":\"" + token + "\"}").status()).isEqualTo(204);
    }

    @Test
    void logoutNeedsTheSecretNotJustTheFamily() throws Exception {
        String token = signIn(newKakaoId()).body().path("refreshToken").asText();
        String family = token.substring(0, token.indexOf('.'));
        String forged = family + "." + "B".repeat(43);

        assertThat(post("/api/auth/logout", "{\"refreshToken\":\"" + forged + "\"}").status()).isEqualTo(204);

        assertThat(refresh(token).status()).as("the real session is untouched").isEqualTo(200);
    }

    @Test
    void unknownOrMalformedTokensAre401() throws Exception {
        refresh("A".repeat(22) + "." + "B".repeat(43)).assertProblem(401, "invalid-refresh-token");
        refresh("garbage").assertProblem(401, "invalid-refresh-token");
        post("/api/auth/refresh", "{}").assertProblem(400, "validation-failed");
    }

    @Test
    void redisKeepsOnlyAHashWithATimeToLive() throws Exception {
        String token = signIn(newKakaoId()).body().path("refreshToken").asText();
        String family = token.substring(0, token.indexOf('.'));
        String secret = token.substring(token.indexOf('.') + 1);

        Set<String> keys = redis.keys("auth:rt:{" + family + "}:*");

        assertThat(keys).hasSize(1);
        String key = keys.iterator().next();
        assertThat(key).doesNotContain(secret);
        assertThat(redis.<String, String>opsForHash().entries(key).toString()).doesNotContain(secret);
        Long ttl = redis.getExpire(key, TimeUnit.SECONDS);
        assertThat(ttl).isBetween(14L * 24 * 3600 - 60, 14L * 24 * 3600);
    }
}
