package io.switchyard.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchyard.support.security.AccessTokens;
import io.switchyard.user.User;
import io.switchyard.user.UserProfile;
import io.switchyard.user.UserRepository;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
import org.springframework.messaging.simp.stomp.StompHeaders;

/**
 * {@code POST /actuator/chathandover}: every open chat socket gets the reconnect hint and is closed, while the
 * instance keeps running and ready (an instant rollback may route here again) and accepts new chat sessions.
 * Same configuration as EmbeddedChatIT, so the two share one cached context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "switchyard.app.color=green")
class ChatHandoverIT {

    @LocalServerPort
    int port;

    @Autowired
    TestRestTemplate http;

    @Autowired
    UserRepository users;

    @Autowired
    AccessTokens tokens;

    @Test
    void handsEverySocketOverAndKeepsServing() throws Exception {
        User user = users.save(User.register(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE),
                new UserProfile("handover", null, null, null), Instant.now()));
        String token = tokens.issue(user.getId()).value();
        long room = createRoom(token);

        StompTestClient first = StompTestClient.connect(port, token);
        StompTestClient second = StompTestClient.connect(port, token);
        first.subscribe(room, 0L);
        second.subscribe(room, 0L);
        assertThat(openSockets()).isEqualTo(2);

        ResponseEntity<JsonNode> handover = http.postForEntity("/actuator/chathandover", null, JsonNode.class);

        assertThat(handover.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(handover.getBody().path("handedOver").asBoolean()).isTrue();
        assertThat(handover.getBody().path("readiness").asText()).isEqualTo("ACCEPTING_TRAFFIC");
        for (StompTestClient client : new StompTestClient[] {first, second}) {
            StompHeaders hint = client.error().get(StompTestClient.WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(hint.getFirst(StompFrames.RECONNECT_HEADER)).isEqualTo("true");
            client.closed().get(StompTestClient.WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        assertThat(openSockets()).as("every socket was closed").isZero();
        assertThat(http.getForEntity("/actuator/health/readiness", String.class).getStatusCode())
                .as("the instance stays ready for an instant rollback").isEqualTo(HttpStatus.OK);

        try (StompTestClient again = StompTestClient.connect(port, token)) {
            var feed = again.subscribe(room, 0L);
            long id = again.sendAndWait(room, "after the handover");
            assertThat(feed.awaitIds(1)).contains(id);
        }
    }

    @Test
    void onlyAPostHandsOverAndTheRestOfTheActuatorStaysClosed() {
        assertThat(http.getForEntity("/actuator/chathandover", String.class).getStatusCode().is2xxSuccessful())
                .isFalse();
        assertThat(http.getForEntity("/actuator/env", String.class).getStatusCode().is2xxSuccessful()).isFalse();
        assertThat(http.getForEntity("/actuator/beans", String.class).getStatusCode().is2xxSuccessful()).isFalse();
    }

    private long createRoom(String token) {
        HttpHeaders headers = new HttpHeaders();
        headers.setBearerAuth(token);
        headers.setContentType(MediaType.APPLICATION_JSON);
        ResponseEntity<JsonNode> created = http.exchange("/api/rooms", HttpMethod.POST,
                new HttpEntity<>("{\"name\": \"handover\"}", headers), JsonNode.class);
        assertThat(created.getStatusCode()).isEqualTo(HttpStatus.CREATED);
        return created.getBody().path("id").asLong();
    }

    private int openSockets() {
        JsonNode info = http.getForObject("/actuator/info", JsonNode.class);
        return info.path("chat").path("openSockets").asInt(-1);
    }
}
