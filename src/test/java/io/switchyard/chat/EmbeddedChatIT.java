package io.switchyard.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchyard.support.security.AccessTokens;
import io.switchyard.user.User;
import io.switchyard.user.UserProfile;
import io.switchyard.user.UserRepository;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/**
 * The embedded default (H2, in-process MongoDB and Redis, no settings): rooms, chat and the main page work.
 * Same configuration as EmbeddedDefaultIT, so the two share one cached context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "switchyard.app.color=green")
class EmbeddedChatIT {

    @LocalServerPort
    int port;

    @Autowired
    TestRestTemplate http;

    @Autowired
    UserRepository users;

    @Autowired
    AccessTokens tokens;

    @Test
    void createRoomChatOverStompAndSeeItOnTheMainPage() throws Exception {
        User user = users.save(User.register(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE), new UserProfile("solo", null, null, null), Instant.now()));
        String token = tokens.issue(user.getId()).value();
        HttpHeaders headers = new HttpHeaders();
        headers.setBearerAuth(token);
        headers.setContentType(MediaType.APPLICATION_JSON);

        ResponseEntity<JsonNode> created = http.exchange("/api/rooms", HttpMethod.POST,
                new HttpEntity<>("{\"name\": \"lobby\"}", headers), JsonNode.class);
        assertThat(created.getStatusCode()).isEqualTo(HttpStatus.CREATED);
        long room = created.getBody().path("id").asLong();

        assertThat(StompTestClient.connectRefusedWithQueryToken(port, token).getFirst("code"))
                .as("the token belongs in the CONNECT frame, never in the URL").isEqualTo("unauthorized");
        try (StompTestClient client = StompTestClient.connect(port, token)) {
            var feed = client.subscribe(room, 0L);
            long id = client.sendAndWait(room, "hello, embedded");
            assertThat(feed.awaitIds(1)).containsExactly(id);
            assertThat(openSockets()).as("the deploy's drain reads open sockets from /actuator/info").isEqualTo(1);
        }
        long deadline = System.nanoTime() + StompTestClient.WAIT.toNanos();
        while (openSockets() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(openSockets()).as("closed sockets leave the count").isZero();

        ResponseEntity<JsonNode> home = http.exchange("/api/home", HttpMethod.GET, new HttpEntity<>(headers),
                JsonNode.class);
        assertThat(home.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(home.getBody().path("me").path("nickname").asText()).isEqualTo("solo");
        JsonNode lobby = home.getBody().path("rooms").get(0);
        assertThat(lobby.path("lastMessage").path("preview").asText()).isEqualTo("hello, embedded");
        assertThat(lobby.path("unreadCount").asLong()).as("my own message is not unread").isZero();
        assertThat(home.getBody().path("popularRooms").findValuesAsText("name")).contains("lobby");
    }

    private int openSockets() {
        JsonNode info = http.getForObject("/actuator/info", JsonNode.class);
        return info.path("chat").path("openSockets").asInt(-1);
    }
}
