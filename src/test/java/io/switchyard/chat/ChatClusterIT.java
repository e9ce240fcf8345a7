package io.switchyard.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.switchyard.auth.KakaoStub;
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
    private static final int REPLAY_LIMIT = 30;
    private static final int RESUMING_CLIENTS = intEnv("CHAT_IT_RESUMING_CLIENTS", 200);
    private static final String REDIRECT_URI = "https://app.example.test/oauth/kakao";

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
                "switchyard.chat.heartbeat=1s",
                "switchyard.chat.replay-limit=" + REPLAY_LIMIT,
                "switchyard.auth.kakao.client-id=cluster-client",
                "switchyard.auth.kakao.allowed-redirect-uris=" + REDIRECT_URI,
                "switchyard.auth.kakao.auth-base-url=" + KakaoStub.instance().authBaseUrl(),
                "switchyard.auth.kakao.api-base-url=" + KakaoStub.instance().apiBaseUrl(),
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
        Answer bell = call(a, alice, "POST", "/api/rooms", "{\"name\": \"bell\\u0007\"}");
        bell.assertProblem(400, "validation-failed");
        assertThat(bell.body().path("errors").findValuesAsText("field")).containsExactly("name");
        assertThat(bell.body().path("legacyCode").asText()).as("the previous release's name, for one release")
                .isEqualTo("invalid-room-name");
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

        // the same user joining ten times at once, through both instances: every call 200, one membership
        Person eager = person("eager");
        List<CompletableFuture<Answer>> joins = new ArrayList<>();
        java.util.concurrent.ExecutorService joiners = java.util.concurrent.Executors.newFixedThreadPool(10);
        try {
            for (int i = 0; i < 10; i++) {
                RunningApp via = i % 2 == 0 ? a : b;
                joins.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return call(via, eager, "POST", "/api/rooms/" + room + "/join", null);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, joiners));
            }
            for (CompletableFuture<Answer> join : joins) {
                Answer joined = join.get(30, TimeUnit.SECONDS);
                assertThat(joined.status()).as(joined.raw()).isEqualTo(200);
            }
        } finally {
            joiners.shutdownNow();
        }
        assertThat(call(a, eager, "GET", "/api/rooms/" + room + "/members", null).body().findValuesAsText("nickname"))
                .containsExactly("alice", "bob", "carol", "eager");
        assertThat(call(a, eager, "POST", "/api/rooms/" + room + "/leave", null).status()).isEqualTo(204);

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
        assertThat(newest.path("nextCursor").asLong()).as("the next page goes on before the oldest of this one")
                .isEqualTo(newestIds.get(0));

        JsonNode older = call(a, alice, "GET", "/api/rooms/" + room + "/messages?limit=3&before=" + newestIds.get(0),
                null).body();
        assertThat(ids(older)).hasSize(3).allSatisfy(id -> assertThat(id).isLessThan(newestIds.get(0))).isSorted();

        JsonNode forward = call(b, bob, "GET", "/api/rooms/" + room + "/messages?after=0&limit=1000", null).body();
        List<Long> all = ids(forward);
        assertThat(all).as("ids without holes").containsExactlyElementsOf(range(all.get(0), all.get(0) + 6));
        assertThat(forward.path("hasMore").asBoolean()).isFalse();
        assertThat(forward.has("nextCursor")).as("no next page, no cursor").isFalse();
        JsonNode firstTwo = call(b, bob, "GET", "/api/rooms/" + room + "/messages?after=0&limit=2", null).body();
        assertThat(firstTwo.path("nextCursor").asLong()).as("forward: the newest of this page")
                .isEqualTo(ids(firstTwo).get(1));
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
            ChatError malformed = errors.poll(WAIT, TimeUnit.SECONDS);
            assertThat(malformed.code()).as("the REST name for the same situation").isEqualTo("malformed-body");
            assertThat(malformed.legacyCode()).as("the previous release's name, for one release")
                    .isEqualTo("malformed-message");
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
                    .containsExactlyElementsOf(all.stream().sorted().toList())
                    .as("resends take no id: 1, 2, 3... without holes").containsExactlyElementsOf(range(1, all.size()));
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


    // ---------------------------------------------------------------- sessions end with their token and login

    @Test
    @Order(9)
    void aSessionEndsWhenItsTokenExpiresAndAnExpiredTokenCannotConnect() throws Exception {
        String shortLived = tokenExpiringIn(alice, Duration.ofSeconds(2));
        try (StompTestClient aliceOnA = StompTestClient.connect(a.port(), shortLived)) {
            aliceOnA.subscribe(room, null);
            StompHeaders ended = aliceOnA.error().get(WAIT, TimeUnit.SECONDS);
            assertThat(ended.getFirst("code")).isEqualTo("token-expired");
            assertThat(ended.getFirst("refresh")).isEqualTo("true");
            assertThat(ended.getFirst("reconnect")).isEqualTo("true");
            assertThat(aliceOnA.closed().get(WAIT, TimeUnit.SECONDS)).isNotNull();
        }
        StompHeaders refused = StompTestClient.connectRefused(b.port(), shortLived);
        assertThat(refused.getFirst("code")).as("within the decoder's clock skew, still refused")
                .isEqualTo("token-expired");
    }

    @Test
    @Order(9)
    void loggingOutOnOneInstanceEndsTheLoginsSessionsOnTheOther() throws Exception {
        KakaoStub kakao = KakaoStub.instance();
        kakao.succeedsWith(KakaoStub.fullConsentUser(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE),
                "logout", "logout@example.test"));
        JsonNode login = signInThroughKakao(b);
        Person phone = new Person(login.path("user").path("id").asLong(), login.path("accessToken").asText());
        call(a, phone, "POST", "/api/rooms/" + room + "/join", null);
        try (StompTestClient onA = StompTestClient.connect(a.port(), phone.token());
                StompTestClient bystander = StompTestClient.connect(a.port(), bob.token())) {
            onA.subscribe(room, null);
            var bystanderFeed = bystander.subscribe(room, null);

            Answer logout = call(b, null, "POST", "/api/auth/logout",
                    "{\"refreshToken\": \"" + login.path("refreshToken").asText() + "\"}");
            assertThat(logout.status()).isEqualTo(204);

            StompHeaders ended = onA.error().get(WAIT, TimeUnit.SECONDS);
            assertThat(ended.getFirst("code")).isEqualTo("session-revoked");
            assertThat(onA.closed().get(WAIT, TimeUnit.SECONDS)).isNotNull();
            assertThat(StompTestClient.connectRefused(b.port(), phone.token()).getFirst("code"))
                    .as("its access token cannot open a new session either").isEqualTo("session-revoked");
            long still = bystander.sendAndWait(room, "other logins carry on");
            assertThat(bystanderFeed.awaitIds(1)).containsExactly(still);
        }
    }

    @Test
    @Order(9)
    void heartBeatsAreExchangedAndASilentClientIsDropped() throws Exception {
        BlockingQueue<String> frames = new java.util.concurrent.LinkedBlockingQueue<>();
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        java.net.http.WebSocket socket = http.newWebSocketBuilder().buildAsync(
                URI.create("ws://127.0.0.1:" + a.port() + "/ws"), new java.net.http.WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket ws,
                            CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            frames.add(text.toString());
                            text.setLength(0);
                        }
                        ws.request(1);
                        return null;
                    }

                    @Override
                    public java.util.concurrent.CompletionStage<?> onClose(java.net.http.WebSocket ws, int status,
                            String reason) {
                        closed.complete(status);
                        return null;
                    }
                }).get(WAIT, TimeUnit.SECONDS);
        socket.sendText("CONNECT\naccept-version:1.2\nhost:switchyard\nheart-beat:1000,1000\nAuthorization:Bearer "
                + alice.token() + "\n\n\u0000", true).get(WAIT, TimeUnit.SECONDS);
        String connected = frames.poll(WAIT, TimeUnit.SECONDS);
        assertThat(connected).startsWith("CONNECTED").contains("heart-beat:1000,1000");

        long start = System.nanoTime();
        int beats = 0;
        while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(5000)) {
            socket.sendText("\n", true).get(WAIT, TimeUnit.SECONDS);
            String frame = frames.poll(1000, TimeUnit.MILLISECONDS);
            if (frame != null && frame.isBlank()) {
                beats++;
            }
        }
        assertThat(beats).as("server heart-beats in 5 s at 1 s").isGreaterThanOrEqualTo(2);
        assertThat(closed).as("alive while the client beats too").isNotDone();

        long silentSince = System.nanoTime();
        Integer status = closed.get(10, TimeUnit.SECONDS);
        System.out.printf("HEARTBEAT silent client dropped after %d ms (status %d)%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - silentSince), status);
    }

    @Test
    @Order(9)
    void aResumeReplaysAtMostTheLimitAndSaysWhereItStarted() throws Exception {
        long busy = call(a, alice, "POST", "/api/rooms", "{\"name\": \"busy\"}").body().path("id").asLong();
        int total = REPLAY_LIMIT + 90;
        call(b, bob, "POST", "/api/rooms/" + busy + "/join", null);
        try (StompTestClient aliceOnA = StompTestClient.connect(a.port(), alice.token())) {
            List<CompletableFuture<Long>> sent = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                sent.add(aliceOnA.send(busy, "m" + i));
            }
            for (CompletableFuture<Long> id : sent) {
                id.get(WAIT, TimeUnit.SECONDS);
            }
        }
        try (StompTestClient aliceOnB = StompTestClient.connect(b.port(), alice.token())) {
            var feed = new StompTestClient.RoomFeed();
            StompHeaders receipt = aliceOnB.subscribeForReceipt(busy, 0L, feed);

            assertThat(receipt.getFirst("replay-truncated")).isEqualTo("true");
            assertThat(receipt.getFirst("replay-first-id")).isEqualTo(Long.toString(total - REPLAY_LIMIT + 1));
            assertThat(feed.awaitIds(REPLAY_LIMIT)).containsExactlyElementsOf(range(total - REPLAY_LIMIT + 1, total));
            JsonNode older = call(b, alice, "GET", "/api/rooms/" + busy + "/messages?after=0&before="
                    + (total - REPLAY_LIMIT + 1) + "&limit=100", null).body();
            assertThat(ids(older)).as("the rest, paged as the hint says").containsExactlyElementsOf(
                    range(1, total - REPLAY_LIMIT));

            JsonNode bobsRoom = roomIn(call(b, bob, "GET", "/api/home", null).body(), busy);
            assertThat(bobsRoom.path("unreadCount").asLong()).as("120 unread: capped").isEqualTo(99);
            assertThat(bobsRoom.path("unreadCapped").asBoolean()).isTrue();
            assertThat(roomIn(call(b, alice, "GET", "/api/home", null).body(), busy).path("unreadCount").asLong())
                    .as("sending moved the sender's marker").isZero();
            Person newcomer = person("newcomer");
            call(a, newcomer, "POST", "/api/rooms/" + busy + "/join", null);
            JsonNode newcomersRoom = roomIn(call(a, newcomer, "GET", "/api/home", null).body(), busy);
            assertThat(newcomersRoom.path("unreadCount").asLong()).as("the history is not unread").isZero();
            assertThat(newcomersRoom.path("lastReadId").asLong()).isEqualTo(total);
            assertThat(newcomersRoom.path("lastMessage").path("id").asLong()).isEqualTo(total);

            var untruncated = new StompTestClient.RoomFeed();
            StompHeaders small = aliceOnB.subscribeForReceipt(busy, (long) total - 5, untruncated);
            assertThat(small.getFirst("replay-truncated")).isNull();
            assertThat(untruncated.awaitIds(5)).containsExactlyElementsOf(range(total - 4, total));
        }
    }

    @Test
    @Order(9)
    void soakEveryClientGetsEveryMessageInOrderOnceThroughRedisFailures() throws Exception {
        ChatSoak.Figures f = new ChatSoak(a, b, redis).run();
        System.out.printf("SOAK sent=%d deliveries expected=%d delivered=%d lost=%d duplicated=%d out-of-order=%d "
                        + "max send-to-delivery=%d ms (bounds gap recovery) publish failures=%.0f listener "
                        + "subscriptions=%.0f%n", f.sent(), f.deliveriesExpected(), f.delivered(), f.lost(),
                f.duplicated(), f.outOfOrder(), f.maxDelayMs(), f.publishFailures(), f.resubscribes());
        assertThat(f.publishFailures()).as("the injected publish failure happened").isPositive();
        assertThat(f.resubscribes()).as("both listeners came back after the Redis restart")
                .isGreaterThanOrEqualTo(2);
        assertThat(f.lost()).isZero();
        assertThat(f.duplicated()).isZero();
        assertThat(f.outOfOrder()).isZero();
        assertThat(f.delivered()).isEqualTo(f.deliveriesExpected());
    }

    private String tokenExpiringIn(Person who, Duration ttl) {
        Instant now = Instant.now();
        var claims = org.springframework.security.oauth2.jwt.JwtClaimsSet.builder().issuer("switchyard")
                .subject(Long.toString(who.id())).issuedAt(now).expiresAt(now.plus(ttl)).build();
        var header = org.springframework.security.oauth2.jwt.JwsHeader
                .with(org.springframework.security.oauth2.jose.jws.MacAlgorithm.HS256).build();
        return a.context().getBean(org.springframework.security.oauth2.jwt.JwtEncoder.class)
                .encode(org.springframework.security.oauth2.jwt.JwtEncoderParameters.from(header, claims))
                .getTokenValue();
    }

    /** The whole Kakao login: authorize URL, the browser at the stub, the login call with the verifier. */
    private JsonNode signInThroughKakao(RunningApp app) throws Exception {
        JsonNode start = call(app, null, "GET", "/api/auth/kakao/authorize-url?redirectUri="
                + java.net.URLEncoder.encode(REDIRECT_URI, java.nio.charset.StandardCharsets.UTF_8), null).body();
        HttpResponse<Void> atKakao = http.send(HttpRequest.newBuilder(URI.create(start.path("authorizeUrl").asText()))
                .GET().build(), HttpResponse.BodyHandlers.discarding());
        var back = org.springframework.web.util.UriComponentsBuilder.fromUriString(
                atKakao.headers().firstValue("Location").orElseThrow()).build().getQueryParams();
        Answer login = call(app, null, "POST", "/api/auth/kakao/login", """
                {"code": "%s", "state": "%s", "redirectUri": "%s", "codeVerifier": "%s"}""".formatted(
                back.getFirst("code"), back.getFirst("state"), REDIRECT_URI, start.path("codeVerifier").asText()));
        assertThat(login.status()).as(login.raw()).isEqualTo(200);
        return login.body();
    }

    private static int intEnv(String name, int fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value);
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
        List<Resumer> crowd = connectCrowd(a, RESUMING_CLIENTS);
        long newestBeforeTheSwitch = a.context().getBean(MessageStore.class).newestId(room);
        crowd.forEach(r -> r.subscribedAfter = newestBeforeTheSwitch);

        List<Long> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
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

            long drainStarted = System.nanoTime();
            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(a::close);
            StompHeaders hint = bobOnA.error().get(WAIT, TimeUnit.SECONDS);
            assertThat(hint.getFirst("reconnect")).isEqualTo("true");
            assertThat(hint.getFirst("code")).isEqualTo("server-restart");
            assertThat(bobOnA.closed().get(WAIT, TimeUnit.SECONDS)).isNotNull();

            // every client of the crowd resumes on B at once, as after a switch
            java.util.concurrent.ExecutorService reconnecting = java.util.concurrent.Executors.newFixedThreadPool(16);
            List<CompletableFuture<Void>> resumed = crowd.stream()
                    .map(r -> CompletableFuture.runAsync(() -> r.resumeOn(b), reconnecting)).toList();
            CompletableFuture.allOf(resumed.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            long allResumedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - drainStarted);
            reconnecting.shutdown();
            System.out.printf("RESUME %d clients drained from A and resumed on B in %d ms (hint to last receipt)%n",
                    crowd.size(), allResumedMs);

            long lastSeen = feedOnA.lastId();
            assertThat(lastSeen).as("bob saw some live messages on A").isPositive();
            try (StompTestClient bobOnB = StompTestClient.connect(b.port(), bob.token())) {
                var feedOnB = bobOnB.subscribe(room, lastSeen);
                sender.get(60, TimeUnit.SECONDS);
                shutdown.get(30, TimeUnit.SECONDS);

                List<Long> seen = new ArrayList<>(feedOnA.ids());
                seen.addAll(feedOnB.awaitIds(sent.size() - feedOnA.ids().size()));
                assertThat(seen).as("nothing lost, nothing twice").containsExactlyElementsOf(sent);
                for (Resumer r : crowd) {
                    assertThat(r.seen(sent.size())).as("crowd client " + r.index).containsExactlyElementsOf(sent);
                }
            }
        } finally {
            crowd.forEach(Resumer::close);
        }
        assertThat(a.context().isActive()).isFalse();
    }

    private List<Resumer> connectCrowd(RunningApp app, int count) throws Exception {
        java.util.concurrent.ExecutorService connecting = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<Resumer>> started = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                started.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        Resumer r = new Resumer(index, StompTestClient.connect(app.port(), bob.token()));
                        r.feedBefore = r.before.subscribe(room, null);
                        return r;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, connecting));
            }
            List<Resumer> crowd = new ArrayList<>();
            for (CompletableFuture<Resumer> r : started) {
                crowd.add(r.get(60, TimeUnit.SECONDS));
            }
            return crowd;
        } finally {
            connecting.shutdown();
        }
    }

    /** One client of the crowd: live on A until the drain, then reconnects to B and resumes from its last id. */
    private final class Resumer {

        final int index;
        final StompTestClient before;
        StompTestClient.RoomFeed feedBefore;
        /** The room's newest id when it subscribed: where it resumes from if nothing arrived before the drain. */
        long subscribedAfter;
        StompTestClient after;
        StompTestClient.RoomFeed feedAfter;

        Resumer(int index, StompTestClient before) {
            this.index = index;
            this.before = before;
        }

        void resumeOn(RunningApp app) {
            try {
                before.closed().get(WAIT, TimeUnit.SECONDS);
                after = StompTestClient.connect(app.port(), bob.token());
                feedAfter = after.subscribe(room, Math.max(feedBefore.lastId(), subscribedAfter));
            } catch (Exception e) {
                throw new IllegalStateException("crowd client " + index + " could not resume", e);
            }
        }

        List<Long> seen(int expected) throws InterruptedException {
            List<Long> all = new ArrayList<>(feedBefore.ids());
            long until = System.nanoTime() + StompTestClient.WAIT.toNanos();
            while (all.size() + feedAfter.ids().size() < expected && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            all.addAll(feedAfter.ids());
            return all;
        }

        void close() {
            before.close();
            if (after != null) {
                after.close();
            }
        }
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
