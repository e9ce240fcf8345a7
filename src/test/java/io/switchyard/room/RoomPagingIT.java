package io.switchyard.room;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchyard.support.security.AccessTokens;
import io.switchyard.user.User;
import io.switchyard.user.UserProfile;
import io.switchyard.user.UserRepository;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/**
 * Lists page with an opaque cursor in X-Next-Cursor and keep their JSON array bodies, so a client of the release
 * before paging reads the first page as it read the whole list. Same configuration as EmbeddedChatIT.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "switchyard.app.color=green")
class RoomPagingIT {

    @Autowired
    TestRestTemplate http;

    @Autowired
    UserRepository users;

    @Autowired
    AccessTokens tokens;

    @Test
    void myRoomsPageInOrderWithoutRepeatsAndEndWithoutACursor() {
        String me = token("pager");
        List<Long> created = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            created.add(call(HttpMethod.POST, "/api/rooms", "{\"name\": \"page " + i + "\"}", me).getBody()
                    .path("id").asLong());
        }
        List<Long> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            ResponseEntity<JsonNode> page = call(HttpMethod.GET, "/api/rooms?limit=2"
                    + (cursor == null ? "" : "&cursor=" + cursor), null, me);
            assertThat(page.getBody().isArray()).as("still a JSON array").isTrue();
            page.getBody().forEach(room -> seen.add(room.path("id").asLong()));
            cursor = page.getHeaders().getFirst("X-Next-Cursor");
            pages++;
        } while (cursor != null && pages < 10);

        assertThat(seen).containsExactlyElementsOf(created);
        assertThat(pages).isEqualTo(3);
        ResponseEntity<JsonNode> unpaged = call(HttpMethod.GET, "/api/rooms", null, me);
        assertThat(unpaged.getBody()).as("no limit: the default page holds them all").hasSize(5);
        assertThat(unpaged.getHeaders().containsKey("X-Next-Cursor")).isFalse();
    }

    @Test
    void membersPageInJoiningOrder() {
        String owner = token("owner");
        long room = call(HttpMethod.POST, "/api/rooms", "{\"name\": \"crowd\"}", owner).getBody().path("id").asLong();
        for (String name : List.of("second", "third")) {
            call(HttpMethod.POST, "/api/rooms/" + room + "/join", null, token(name));
        }
        ResponseEntity<JsonNode> first = call(HttpMethod.GET, "/api/rooms/" + room + "/members?limit=2", null, owner);
        String next = first.getHeaders().getFirst("X-Next-Cursor");
        ResponseEntity<JsonNode> rest = call(HttpMethod.GET, "/api/rooms/" + room + "/members?limit=2&cursor="
                + next, null, owner);

        assertThat(first.getBody().findValuesAsText("nickname")).containsExactly("owner", "second");
        assertThat(rest.getBody().findValuesAsText("nickname")).containsExactly("third");
        assertThat(rest.getHeaders().containsKey("X-Next-Cursor")).isFalse();
    }

    @Test
    void badCursorsAndLimitsAreRefused() {
        String me = token("careless");
        assertThat(call(HttpMethod.GET, "/api/rooms?cursor=not-ours", null, me).getBody().path("code").asText())
                .isEqualTo("invalid-cursor");
        assertThat(call(HttpMethod.GET, "/api/rooms?limit=0", null, me).getBody().path("code").asText())
                .isEqualTo("invalid-limit");
    }

    private String token(String nickname) {
        User user = users.save(User.register(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE),
                new UserProfile(nickname, null, null, null), Instant.now()));
        return tokens.issue(user.getId()).value();
    }

    private ResponseEntity<JsonNode> call(HttpMethod method, String path, String body, String token) {
        HttpHeaders headers = new HttpHeaders();
        headers.setBearerAuth(token);
        headers.setContentType(MediaType.APPLICATION_JSON);
        return http.exchange(path, method, new HttpEntity<>(body, headers), JsonNode.class);
    }
}
