package io.switchyard.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.switchyard.support.security.AccessTokens;
import io.switchyard.testsupport.RealStores;
import io.switchyard.testsupport.RedisProcess;
import io.switchyard.testsupport.RunningApp;
import io.switchyard.user.User;
import io.switchyard.user.UserProfile;
import io.switchyard.user.UserRepository;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.messaging.simp.stomp.StompHeaders;

/**
 * Two application instances, as blue and green during a switch, sharing the real MariaDB, a real Redis and one
 * MongoDB (the wire-protocol server). The tests build on each other in order: the last ones drain instance A and
 * then stop Redis under instance B.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChatClusterIT {

    private static final long WAIT = StompTestClient.WAIT.toSeconds();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();

    private MongoServer mongo;
    private RedisProcess redis;
    private RunningApp a;
    private RunningApp b;
    private Person alice;
    private Person bob;
    private Person carol;
    private long room;

    record Person(long id, String token) {
    }

    @BeforeAll
    void startTwoInstances() throws Exception {
        mongo = new MongoServer(new MemoryBackend());
        mongo.bind("127.0.0.1", 0);
        redis = new RedisProcess().start();
        CompletableFuture<RunningApp> startA = CompletableFuture.supplyAsync(() -> instance("blue"));
        b = instance("green");
        a = startA.get(120, TimeUnit.SECONDS);
        // rooms of earlier runs would compete for the popular list
        JdbcTemplate jdbc = a.context().getBean(JdbcTemplate.class);
        jdbc.update("DELETE FROM chat_room_members");
        jdbc.update("DELETE FROM chat_rooms");
        alice = person("alice");
        bob = person("bob");
        carol = person("carol");
    }

    @AfterAll
    void stopEverything() throws Exception {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (mongo != null) {
            mongo.shutdownNow();
        }
    }

    private RunningApp instance(String color) {
        return RunningApp.start(
                "switchyard.app.color=" + color,
                "spring.datasource.url=" + RealStores.mysqlUrl(),
                "spring.datasource.username=" + RealStores.mysqlUsername(),
                "spring.datasource.password=" + RealStores.mysqlPassword(),
                "switchyard.embedded.redis=false",
                "spring.data.redis.host=127.0.0.1",
                "spring.data.redis.port=" + redis.port(),
                "switchyard.embedded.mongo=false",
                "spring.data.mongodb.uri=mongodb://127.0.0.1:" + mongo.getLocalAddress().getPort()
                        + "/switchyard?serverSelectionTimeoutMS=2000",
                "switchyard.security.jwt.secret=a-shared-integration-test-secret-of-32-bytes",
                "switchyard.rooms.popular-ttl=1h",
                "switchyard.chat.drain-timeout=3s",
                "spring.lifecycle.timeout-per-shutdown-phase=5s");
    }

    private Person person(String nickname) {
        long kakaoId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        User user = a.context().getBean(UserRepository.class).save(
                User.register(kakaoId, new UserProfile(nickname, null, null, null), Instant.now()));
        String token = a.context().getBean(AccessTokens.class).issue(user.getId()).value();
        return new Person(user.getId(), token);
    }

    // ---------------------------------------------------------------- rooms API

    @Test
    @Order(1)
    void roomsApiValidatesAndChecksMembership() throws Exception {
        Answer created = call(a, alice, "POST", "/api/rooms", "{\"name\": \"  general  \"}");
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.body().path("name").asText()).isEqualTo("general");
        room = created.body().path("id").asLong();

        call(a, alice, "POST", "/api/rooms", "{\"name\": \"   \"}").assertProblem(400, "validation-failed");
        call(a, alice, "POST", "/api/rooms", "{\"name\": \"" + "x".repeat(51) + "\"}")
                .assertProblem(400, "validation-failed");
        call(a, alice, "POST", "/api/rooms", "{\"name\": \"bell\\u0007\"}").assertProblem(400, "invalid-room-name");
        call(a, alice, "POST", "/api/rooms", "{}").assertProblem(400, "validation-failed");
        call(a, null, "GET", "/api/rooms", null).assertProblem(401, "unauthorized");

        call(b, bob, "GET", "/api/rooms/" + room + "/members", null).assertProblem(403, "not-a-member");
        call(b, bob, "GET", "/api/rooms/" + room + "/messages", null).assertProblem(403, "not-a-member");
        call(b, bob, "POST", "/api/rooms/" + room + "/leave", null).assertProblem(403, "not-a-member");
        call(b, bob, "POST", "/api/rooms/" + room + "/read", null).assertProblem(403, "not-a-member");
        call(b, bob, "POST", "/api/rooms/999999999/join", null).assertProblem(404, "room-not-found");
        call(b, bob, "GET", "/api/rooms/999999999/members", null).assertProblem(404, "room-not-found");
        call(b, bob, "GET", "/api/rooms/999999999/messages", null).assertProblem(404, "room-not-found");
        call(b, bob, "GET", "/api/rooms/abc/messages", null).assertProblem(400, "type-mismatch");

        assertThat(call(b, bob, "POST", "/api/rooms/" + room + "/join", null).body().path("memberCount").asLong())
                .isEqualTo(2);
        assertThat(call(b, bob, "POST", "/api/rooms/" + room + "/join", null).status()).as("idempotent").isEqualTo(200);
        assertThat(call(a, carol, "POST", "/api/rooms/" + room + "/join", null).status()).isEqualTo(200);
        Answer members = call(b, bob, "GET", "/api/rooms/" + room + "/members", null);
        assertThat(members.body().findValuesAsText("nickname")).containsExactly("alice", "bob", "carol");
        assertThat(call(b, bob, "GET", "/api/rooms", null).body().findValuesAsText("name")).containsExactly("general");

        long other = call(a, carol, "POST", "/api/rooms", "{\"name\": \"leavers\"}").body().path("id").asLong();
        assertThat(call(a, carol, "POST", "/api/rooms/" + other + "/leave", null).status()).isEqualTo(204);
        call(a, carol, "GET", "/api/rooms/" + other + "/members", null).assertProblem(403, "not-a-member");
    }

    // ---------------------------------------------------------------- fan-out

    @Test
    @Order(2)
    void messageSentThroughAReachesSubscribersOnBothInstances() throws Exception {
        try (StompTestClient aliceOnA = StompTestClient.connect(a.port(), alice.token());
                StompTestClient bobOnB = StompTestClient.connect(b.port(), bob.token())) {
            var bobFeed = bobOnB.subscribe(room, null);
            var aliceFeed = aliceOnA.subscribe(room, null);

            long id = aliceOnA.sendAndWait(room, "hello from blue");

            assertThat(bobFeed.awaitIds(1)).containsExactly(id);
            assertThat(bobFeed.received.get(0).text()).isEqualTo("hello from blue");
            assertThat(bobFeed.received.get(0).senderId()).isEqualTo(alice.id());
            assertThat(aliceFeed.awaitIds(1)).containsExactly(id);

            long second = bobOnB.sendAndWait(room, "hi from green");
            assertThat(second).isGreaterThan(id);
            assertThat(aliceFeed.awaitIds(2)).containsExactly(id, second);
        }
    }

    @Test
    @Order(3)
    void messagesPageByCursor() throws Exception {
        try (StompTestClient carolOnB = StompTestClient.connect(b.port(), carol.token())) {
            for (int i = 0; i < 5; i++) {
                carolOnB.sendAndWait(room, "page " + i);
            }
        }
        JsonNode newest = call(a, alice, "GET", "/api/rooms/" + room + "/messages?limit=3", null).body();
        List<Long> newestIds = ids(newest);
        assertThat(newestIds).hasSize(3).isSorted();
        assertThat(newest.path("hasMore").asBoolean()).isTrue();

        JsonNode older = call(a, alice, "GET", "/api/rooms/" + room + "/messages?limit=3&before=" + newestIds.get(0),
                null).body();
        assertThat(ids(older)).hasSize(3).allSatisfy(id -> assertThat(id).isLessThan(newestIds.get(0))).isSorted();

        JsonNode forward = call(b, bob, "GET", "/api/rooms/" + room + "/messages?after=0&limit=1000", null).body();
        List<Long> all = ids(forward);
        assertThat(all).hasSize(7).isSorted().doesNotHaveDuplicates();
        assertThat(forward.path("hasMore").asBoolean()).isFalse();
        assertThat(forward.path("messages").get(6).path("text").asText()).isEqualTo("page 4");

        call(a, alice, "GET", "/api/rooms/" + room + "/messages?limit=0", null).assertProblem(400, "invalid-limit");
    }

    // ---------------------------------------------------------------- bad input

    @Test
    @Order(4)
    void badInputGetsClearErrorsAndBreaksNobodyElse() throws Exception {
        assertThat(StompTestClient.connectRefused(a.port(), null).getFirst("code")).isEqualTo("unauthorized");
        assertThat(StompTestClient.connectRefused(a.port(), "not.a.jwt").getFirst("code")).isEqualTo("invalid-token");

        long carolsRoom = call(a, carol, "POST", "/api/rooms", "{\"name\": \"carol only\"}").body().path("id").asLong();
        try (StompTestClient aliceOnA = StompTestClient.connect(a.port(), alice.token());
                StompTestClient bobOnA = StompTestClient.connect(a.port(), bob.token())) {
            BlockingQueue<ChatError> errors = aliceOnA.subscribeErrors();
            var bobFeed = bobOnA.subscribe(room, null);

            aliceOnA.send(room, "x".repeat(1001));
            assertThat(errors.poll(WAIT, TimeUnit.SECONDS).code()).isEqualTo("message-too-long");
            aliceOnA.send(room, "   ");
            assertThat(errors.poll(WAIT, TimeUnit.SECONDS).code()).isEqualTo("empty-message");
            aliceOnA.send(carolsRoom, "let me in");
            ChatError notMember = errors.poll(WAIT, TimeUnit.SECONDS);
            assertThat(notMember.code()).isEqualTo("not-a-member");
            assertThat(notMember.receiptId()).isNotBlank();
            aliceOnA.send(999_999_999L, "anyone?");
            assertThat(errors.poll(WAIT, TimeUnit.SECONDS).code()).isEqualTo("room-not-found");
            aliceOnA.sendMalformed(room);
            assertThat(errors.poll(WAIT, TimeUnit.SECONDS).code()).isEqualTo("malformed-message");
            aliceOnA.subscribeNoWait(carolsRoom, 0L);
            assertThat(errors.poll(WAIT, TimeUnit.SECONDS).code()).isEqualTo("not-a-member");
            aliceOnA.sendRaw("/queue/errors-user" + "someone-else", java.util.Map.of("code", "spoofed"));
            assertThat(errors.poll(WAIT, TimeUnit.SECONDS).code()).isEqualTo("unknown-destination");
            aliceOnA.subscribeRaw("/queue/errors-usersomeone-else");
            assertThat(errors.poll(WAIT, TimeUnit.SECONDS).code()).isEqualTo("unknown-destination");

            // the session survived all of that
            long ok = aliceOnA.sendAndWait(room, "still here");
            assertThat(bobFeed.awaitIds(1)).containsExactly(ok);

            // an oversized frame closes only the sender's socket
            try (StompTestClient mallory = StompTestClient.connect(a.port(), carol.token())) {
                mallory.send(room, "y".repeat(40_000));
                assertThat(mallory.closed().get(WAIT, TimeUnit.SECONDS)).isNotNull();
            }
            long after = aliceOnA.sendAndWait(room, "after the big one");
            assertThat(bobFeed.awaitIds(2)).containsExactly(ok, after);
            assertThat(errors).isEmpty();
        }
    }

    // ---------------------------------------------------------------- resume

    @Test
    @Order(5)
    void reconnectWithLastIdReplaysExactlyTheMissedMessagesOnce() throws Exception {
        long lastSeen;
        try (StompTestClient bobOnB = StompTestClient.connect(b.port(), bob.token())) {
            var feed = bobOnB.subscribe(room, null);
            try (StompTestClient aliceOnA = StompTestClient.connect(a.port(), alice.token())) {
                long seen = aliceOnA.sendAndWait(room, "before the disconnect");
                assertThat(feed.awaitIds(1)).containsExactly(seen);
                lastSeen = feed.lastId();
            }
        }

        try (StompTestClient aliceOnA = StompTestClient.connect(a.port(), alice.token())) {
            List<Long> missed = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                missed.add(aliceOnA.sendAndWait(room, "missed " + i));
            }

            // reconnect (to the other instance) while alice keeps sending: replay and live overlap
            try (StompTestClient bobOnA = StompTestClient.connect(a.port(), bob.token())) {
                List<CompletableFuture<Long>> live = new ArrayList<>();
                CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 20; i++) {
                        live.add(aliceOnA.send(room, "live " + i));
                    }
                });
                var feed = bobOnA.subscribe(room, lastSeen);
                sending.get(WAIT, TimeUnit.SECONDS);
                List<Long> expected = new ArrayList<>(missed);
                for (CompletableFuture<Long> id : live) {
                    expected.add(id.get(WAIT, TimeUnit.SECONDS));
                }

                assertThat(feed.awaitIds(expected.size())).as("missed then live, in order, once")
                        .containsExactlyElementsOf(expected);
                assertThat(feed.received.get(0).text()).isEqualTo("missed 0");
            }
        }
    }

    // ---------------------------------------------------------------- resends with a message-key

    @Test
    @Order(6)
    void resendsWithTheSameMessageKeyAreStoredAndDeliveredOnceWhicheverInstanceTheyReach() throws Exception {
        long resends = call(a, alice, "POST", "/api/rooms", "{\"name\": \"resends\"}").body().path("id").asLong();
        call(b, bob, "POST", "/api/rooms/" + resends + "/join", null);
        long elsewhere = call(a, alice, "POST", "/api/rooms", "{\"name\": \"elsewhere\"}").body().path("id").asLong();
        try (StompTestClient aliceOnA = StompTestClient.connect(a.port(), alice.token());
                StompTestClient aliceOnB = StompTestClient.connect(b.port(), alice.token());
                StompTestClient bobOnA = StompTestClient.connect(a.port(), bob.token());
                StompTestClient bobOnB = StompTestClient.connect(b.port(), bob.token())) {
            var feedOnA = bobOnA.subscribe(resends, null);
            var feedOnB = bobOnB.subscribe(resends, null);
            String key = UUID.randomUUID().toString();

            long first = aliceOnA.sendAndWait(resends, "exactly once", key);
            assertThat(aliceOnA.sendAndWait(resends, "exactly once", key)).as("resent through the same instance")
                    .isEqualTo(first);
            assertThat(aliceOnB.sendAndWait(resends, "exactly once", key)).as("resent through the other instance")
                    .isEqualTo(first);
            assertThat(aliceOnB.sendAndWait(resends, "other text", key)).as("the key decides, not the text")
                    .isEqualTo(first);

            long otherKey = aliceOnA.sendAndWait(resends, "exactly once", UUID.randomUUID().toString());
            long noKey = aliceOnB.sendAndWait(resends, "exactly once");
            long noKeyAgain = aliceOnB.sendAndWait(resends, "exactly once");
            long otherSender = bobOnB.sendAndWait(resends, "same key, other sender", key);
            long otherRoom = aliceOnA.sendAndWait(elsewhere, "same key, other room", key);
            List<Long> expected = List.of(first, otherKey, noKey, noKeyAgain, otherSender);
            assertThat(expected).as("each a new message").isSorted().doesNotHaveDuplicates();

            assertThat(feedOnA.awaitIds(expected.size())).as("delivered once on A").containsExactlyElementsOf(expected);
            assertThat(feedOnB.awaitIds(expected.size())).as("delivered once on B").containsExactlyElementsOf(expected);
            JsonNode stored = call(b, bob, "GET", "/api/rooms/" + resends + "/messages?after=0", null).body();
            assertThat(ids(stored)).as("stored once").containsExactlyElementsOf(expected);
            assertThat(stored.path("messages").get(0).path("text").asText()).isEqualTo("exactly once");
            assertThat(ids(call(a, alice, "GET", "/api/rooms/" + elsewhere + "/messages", null).body()))
                    .containsExactly(otherRoom);

            // the same key through both instances at the same moment: one message, both receipts name it
            List<CompletableFuture<Long>> viaA = new ArrayList<>();
            List<CompletableFuture<Long>> viaB = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String raceKey = "race-" + i + "-" + UUID.randomUUID();
                viaA.add(aliceOnA.send(resends, "race " + i, raceKey));
                viaB.add(aliceOnB.send(resends, "race " + i, raceKey));
            }
            List<Long> all = new ArrayList<>(expected);
            for (int i = 0; i < 20; i++) {
                long id = viaA.get(i).get(WAIT, TimeUnit.SECONDS);
                assertThat(viaB.get(i).get(WAIT, TimeUnit.SECONDS)).as("race " + i).isEqualTo(id);
                all.add(id);
            }
            assertThat(all).doesNotHaveDuplicates();
            assertThat(feedOnA.awaitIds(all.size())).as("on A").containsExactlyInAnyOrderElementsOf(all);
            assertThat(feedOnB.awaitIds(all.size())).as("on B").containsExactlyInAnyOrderElementsOf(all);
            assertThat(ids(call(a, alice, "GET", "/api/rooms/" + resends + "/messages?after=0&limit=100", null).body()))
                    .containsExactlyElementsOf(all.stream().sorted().toList());
        }
    }

    @Test
    @Order(7)
    void aBadMessageKeyIsRefusedAndTheSessionStaysUsable() throws Exception {
        long keys = call(a, alice, "POST", "/api/rooms", "{\"name\": \"bad keys\"}").body().path("id").asLong();
        try (StompTestClient aliceOnA = StompTestClient.connect(a.port(), alice.token())) {
            BlockingQueue<ChatError> errors = aliceOnA.subscribeErrors();
            var feed = aliceOnA.subscribe(keys, null);
            for (String bad : List.of("", "k".repeat(101), "two words", "caf\u00e9", "line\nbreak")) {
                aliceOnA.send(keys, "refused", bad);
                ChatError error = errors.poll(WAIT, TimeUnit.SECONDS);
                assertThat(error).as("[" + bad + "]").isNotNull();
                assertThat(error.code()).as("[" + bad + "]").isEqualTo("invalid-message-key");
                assertThat(error.receiptId()).isNotBlank();
                assertThat(error.destination()).isEqualTo("/app/rooms/" + keys);
            }

            long longest = aliceOnA.sendAndWait(keys, "a key of 100 characters", "k".repeat(100));
            assertThat(aliceOnA.sendAndWait(keys, "again", "k".repeat(100))).isEqualTo(longest);
            long plain = aliceOnA.sendAndWait(keys, "no key");
            assertThat(feed.awaitIds(2)).containsExactly(longest, plain);
            assertThat(ids(call(a, alice, "GET", "/api/rooms/" + keys + "/messages", null).body()))
                    .as("nothing refused was stored").containsExactly(longest, plain);
            assertThat(errors).isEmpty();
        }
    }

    @Test
    @Order(8)
    void leavingARoomStopsLiveDeliveryOnEveryInstance() throws Exception {
        long shortStay = call(a, alice, "POST", "/api/rooms", "{\"name\": \"short stay\"}").body().path("id").asLong();
        call(b, carol, "POST", "/api/rooms/" + shortStay + "/join", null);
        try (StompTestClient carolOnB = StompTestClient.connect(b.port(), carol.token());
                StompTestClient aliceOnA = StompTestClient.connect(a.port(), alice.token())) {
            var carolFeed = carolOnB.subscribe(shortStay, null);
            var aliceFeed = aliceOnA.subscribe(shortStay, null);
            long before = aliceOnA.sendAndWait(shortStay, "still with us?");
            assertThat(carolFeed.awaitIds(1)).containsExactly(before);

            assertThat(call(a, carol, "POST", "/api/rooms/" + shortStay + "/leave", null).status()).isEqualTo(204);
            Thread.sleep(300); // the leave is fanned out through Redis

            long after = aliceOnA.sendAndWait(shortStay, "gone");
            assertThat(aliceFeed.awaitIds(2)).containsExactly(before, after);
            assertThat(carolFeed.ids()).as("nothing after leaving").containsExactly(before);
        }
    }

    // ---------------------------------------------------------------- popular cache, shared by the instances

    @Test
    @Order(9)
    void popularRoomsAreCachedInRedisForEveryInstance() throws Exception {
        JsonNode before = call(b, bob, "GET", "/api/rooms/popular", null).body();
        assertThat(before.findValuesAsText("name")).startsWith("general");

        long crowded = call(a, alice, "POST", "/api/rooms", "{\"name\": \"crowded\"}").body().path("id").asLong();
        for (Person p : List.of(bob, carol, person("dave"))) {
            call(a, p, "POST", "/api/rooms/" + crowded + "/join", null);
        }

        JsonNode cached = call(a, alice, "GET", "/api/rooms/popular", null).body();
        assertThat(cached).as("served from the cache B filled, TTL 1h").isEqualTo(before);
    }

    // ---------------------------------------------------------------- drain

    @Test
    @Order(10)
    void drainingATellsItsClientsToReconnectAndTheyResumeOnBLosingNothing() throws Exception {
        StompTestClient bobOnA = StompTestClient.connect(a.port(), bob.token());
        var feedOnA = bobOnA.subscribe(room, null);

        List<Long> sent = new ArrayList<>();
        try (StompTestClient carolOnB = StompTestClient.connect(b.port(), carol.token())) {
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 40; i++) {
                    try {
                        sent.add(carolOnB.sendAndWait(room, "during the switch " + i));
                        Thread.sleep(25);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            Thread.sleep(300);

            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(a::close);
            StompHeaders hint = bobOnA.error().get(WAIT, TimeUnit.SECONDS);
            assertThat(hint.getFirst("reconnect")).isEqualTo("true");
            assertThat(hint.getFirst("code")).isEqualTo("server-restart");
            assertThat(bobOnA.closed().get(WAIT, TimeUnit.SECONDS)).isNotNull();

            long lastSeen = feedOnA.lastId();
            assertThat(lastSeen).as("bob saw some live messages on A").isPositive();
            try (StompTestClient bobOnB = StompTestClient.connect(b.port(), bob.token())) {
                var feedOnB = bobOnB.subscribe(room, lastSeen);
                sender.get(30, TimeUnit.SECONDS);
                shutdown.get(30, TimeUnit.SECONDS);

                List<Long> seen = new ArrayList<>(feedOnA.ids());
                seen.addAll(feedOnB.awaitIds(sent.size() - feedOnA.ids().size()));
                assertThat(seen).as("nothing lost, nothing twice").containsExactlyElementsOf(sent);
            }
        }
        assertThat(a.context().isActive()).isFalse();
    }

    // ---------------------------------------------------------------- main page, then with Redis gone

    @Test
    @Order(11)
    void homeShowsUnreadCountsAndSurvivesRedisGoingAway() throws Exception {
        long newest;
        try (StompTestClient bobOnB = StompTestClient.connect(b.port(), bob.token())) {
            newest = bobOnB.sendAndWait(room, "read me");
        }
        JsonNode home = call(b, alice, "GET", "/api/home", null).body();
        assertThat(home.path("me").path("nickname").asText()).isEqualTo("alice");
        JsonNode general = roomIn(home, room);
        assertThat(general.path("lastMessage").path("id").asLong()).isEqualTo(newest);
        assertThat(general.path("lastMessage").path("preview").asText()).isEqualTo("read me");
        long unread = general.path("unreadCount").asLong();
        assertThat(unread).as("everything bob and carol wrote").isGreaterThan(40);

        JsonNode marked = call(b, alice, "POST", "/api/rooms/" + room + "/read", "{\"lastReadId\": " + (newest - 2) + "}")
                .body();
        assertThat(marked.path("lastReadId").asLong()).isEqualTo(newest - 2);
        assertThat(marked.path("unreadCount").asLong()).isEqualTo(2);
        call(b, alice, "POST", "/api/rooms/" + room + "/read", "{\"lastReadId\": 1}");
        assertThat(roomIn(call(b, alice, "GET", "/api/home", null).body(), room).path("unreadCount").asLong())
                .as("the marker never moves back").isEqualTo(2);
        call(b, alice, "POST", "/api/rooms/" + room + "/read", null);
        assertThat(roomIn(call(b, alice, "GET", "/api/home", null).body(), room).path("unreadCount").asLong())
                .isZero();
        assertThat(call(b, alice, "GET", "/api/home", null).body().path("popularRooms").findValuesAsText("name"))
                .as("still the cached list").doesNotContain("crowded");

        redis.stop();

        Answer withoutRedis = call(b, alice, "GET", "/api/home", null);
        assertThat(withoutRedis.status()).isEqualTo(200);
        assertThat(withoutRedis.body().path("popularRooms").get(0).path("name").asText())
                .as("computed from the database").isEqualTo("crowded");
        assertThat(roomIn(withoutRedis.body(), room).path("unreadCount").asLong()).isZero();
        assertThat(call(b, alice, "GET", "/api/rooms/popular", null).status()).isEqualTo(200);
    }

    private static JsonNode roomIn(JsonNode home, long roomId) {
        for (JsonNode r : home.path("rooms")) {
            if (r.path("id").asLong() == roomId) {
                return r;
            }
        }
        throw new AssertionError("room " + roomId + " not on the main page: " + home);
    }

    private static List<Long> ids(JsonNode page) {
        List<Long> ids = new ArrayList<>();
        page.path("messages").forEach(m -> ids.add(m.path("id").asLong()));
        return ids;
    }

    // ---------------------------------------------------------------- HTTP

    private Answer call(RunningApp app, Person who, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (who != null) {
            request.header("Authorization", "Bearer " + who.token());
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode parsed = response.body().isEmpty() ? json.missingNode() : json.readTree(response.body());
        return new Answer(response.statusCode(), parsed, response.body());
    }

    record Answer(int status, JsonNode body, String raw) {

        void assertProblem(int expectedStatus, String code) {
            assertThat(status).as(raw).isEqualTo(expectedStatus);
            assertThat(body.path("code").asText()).as(raw).isEqualTo(code);
        }
    }

    static List<Long> range(long fromInclusive, long toInclusive) {
        return LongStream.rangeClosed(fromInclusive, toInclusive).boxed().toList();
    }
}
