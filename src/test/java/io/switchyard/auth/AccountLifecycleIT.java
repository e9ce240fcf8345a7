package io.switchyard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchyard.chat.StompTestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.messaging.simp.stomp.StompHeaders;

/**
 * Account deletion and sign-out everywhere, through the real login (Kakao stub), MariaDB, Redis and a chat socket.
 * Shares the auth ITs' context.
 */
class AccountLifecycleIT extends AuthIntegrationSupport {

    @Autowired
    JdbcTemplate jdbc;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void deletedAccountsLoseEveryLoginAndLeaveRoomsWhileTheirMessagesStay() throws Exception {
        long aliceKakao = newKakaoId();
        JsonNode phone = signIn(aliceKakao).body();
        JsonNode laptop = signIn(aliceKakao).body();
        long alice = phone.path("user").path("id").asLong();
        JsonNode bobLogin = signIn(newKakaoId()).body();
        String bob = bobLogin.path("accessToken").asText();

        long room = call("POST", "/api/rooms", "{\"name\": \"farewell\"}", bob).body().path("id").asLong();
        assertThat(call("POST", "/api/rooms/" + room + "/join", null, token(phone)).status()).isEqualTo(200);
        long said;
        try (StompTestClient socket = StompTestClient.connect(port, token(laptop))) {
            said = socket.sendAndWait(room, "bye, all");

            assertThat(call("DELETE", "/api/users/me", null, token(phone)).status()).isEqualTo(204);

            StompHeaders ended = socket.error().get(StompTestClient.WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(ended.getFirst("code")).as("the other device's chat socket ends").isEqualTo("session-revoked");
        }

        for (JsonNode login : new JsonNode[] {phone, laptop}) {
            get("/api/users/me", token(login)).assertProblem(401, "invalid-token");
            refresh(login.path("refreshToken").asText()).assertProblem(401, "invalid-refresh-token");
        }
        assertThat(call("DELETE", "/api/users/me", null, token(phone)).status())
                .as("the old token cannot even delete again").isEqualTo(401);

        // the other member's view: Alice left the room, her message stays, sent by the anonymised account
        JsonNode members = call("GET", "/api/rooms/" + room + "/members", null, bob).body();
        assertThat(members.findValuesAsText("userId")).containsExactly(bobLogin.path("user").path("id").asText());
        JsonNode messages = call("GET", "/api/rooms/" + room + "/messages", null, bob).body().path("messages");
        assertThat(messages).hasSize(1);
        assertThat(messages.get(0).path("id").asLong()).isEqualTo(said);
        assertThat(messages.get(0).path("senderId").asLong()).isEqualTo(alice);
        assertThat(call("GET", "/api/rooms", null, bob).body().get(0).path("memberCount").asLong()).isEqualTo(1);

        Map<String, Object> row = jdbc.queryForMap(
                "SELECT kakao_id, nickname, email, profile_image_url, deleted_at FROM users WHERE id = ?", alice);
        assertThat(((Number) row.get("kakao_id")).longValue()).isEqualTo(-alice);
        assertThat(row.get("nickname")).isEqualTo("deleted-user");
        assertThat(row.get("email")).isNull();
        assertThat(row.get("profile_image_url")).isNull();
        assertThat(row.get("deleted_at")).isNotNull();

        // the same Kakao account signs up afresh
        JsonNode again = signIn(aliceKakao).body();
        assertThat(again.path("user").path("id").asLong()).isNotEqualTo(alice);
        assertThat(get("/api/users/me", token(again)).status()).isEqualTo(200);
    }

    @Test
    void signOutEverywhereEndsEveryLoginOfTheUserOnly() throws Exception {
        long carolKakao = newKakaoId();
        JsonNode first = signIn(carolKakao).body();
        JsonNode second = signIn(carolKakao).body();
        JsonNode dave = signIn(newKakaoId()).body();

        assertThat(call("DELETE", "/api/users/me/sessions", null, token(first)).status()).isEqualTo(204);

        for (JsonNode login : new JsonNode[] {first, second}) {
            get("/api/users/me", token(login)).assertProblem(401, "invalid-token");
            refresh(login.path("refreshToken").asText()).assertProblem(401, "invalid-refresh-token");
        }
        assertThat(get("/api/users/me", token(dave)).status()).as("another user stays signed in").isEqualTo(200);
        assertThat(refresh(dave.path("refreshToken").asText()).status()).isEqualTo(200);
        assertThat(get("/api/users/me", token(signIn(carolKakao).body())).status())
                .as("signing in again works").isEqualTo(200);
    }

    @Test
    void logoutEndsTheLoginsAccessTokensOnRestToo() throws Exception {
        JsonNode login = signIn(newKakaoId()).body();

        assertThat(post("/api/auth/logout", "{\"refreshToken\":\"" + login.path("refreshToken").asText() + "\"}")
                .status()).isEqualTo(204);

        get("/api/users/me", token(login)).assertProblem(401, "invalid-token");
    }

    private static String token(JsonNode login) {
        return login.path("accessToken").asText();
    }

    private Answer call(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode parsed = response.body().isEmpty() ? json.missingNode() : json.readTree(response.body());
        return new Answer(response, parsed);
    }
}
