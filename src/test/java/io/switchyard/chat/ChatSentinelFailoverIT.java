package io.switchyard.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.switchyard.support.security.AccessTokens;
import io.switchyard.testsupport.RealStores;
import io.switchyard.testsupport.RedisSentinelGroup;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Two instances in the prod profile (N replicas behind a Service), their Redis behind a real Sentinel group
 * (REDIS_SENTINEL_MASTER / REDIS_SENTINEL_NODES, no REDIS_HOST). The master is killed while a client keeps chatting
 * through instance A to a subscriber on instance B: the sentinels promote the replica, both instances follow it
 * (readiness back up, their fan-out subscriptions on the new master), live delivery to B resumes on the same
 * subscription, and nothing acknowledged is lost: B's resume from its last id before the crash returns exactly the
 * rest. MariaDB: the one scripts/test.sh runs; MongoDB: the in-process wire-protocol server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChatSentinelFailoverIT {

    private static final long WAIT = StompTestClient.WAIT.toSeconds();
    private static final Duration RECOVERY_DEADLINE = Duration.ofSeconds(45);
    private static final String CHANNEL = "switchyard:chat:sentinel-failover-it";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();

    private MongoServer mongo;
    private RedisSentinelGroup redis;
    private RunningApp a;
    private RunningApp b;

    record Person(long id, String token) {
    }

    @BeforeAll
    void startSentinelGroupAndTwoInstances() throws Exception {
        mongo = new MongoServer(new MemoryBackend());
        mongo.bind("127.0.0.1", 0);
        redis = new RedisSentinelGroup().start();
        // two ReplicaSets' pods: their colors are pod-template hashes, as on Kubernetes
        CompletableFuture<RunningApp> startA = CompletableFuture.supplyAsync(() -> instance("6d4f8b9c7x"));
        b = instance("5c9b8f6d4w");
        a = startA.get(120, TimeUnit.SECONDS);
    }

    @AfterAll
    void stopEverything() throws Exception {
        for (RunningApp app : new RunningApp[] {a, b}) {
            if (app != null) {
                app.close();
            }
        }
        if (redis != null) {
            redis.close();
        }
        if (mongo != null) {
            mongo.shutdownNow();
        }
    }

    /** The prod profile, configured the way deploy/k8s configures a pod: Redis only through the sentinels. */
    private RunningApp instance(String color) {
        return RunningApp.start(
                "spring.profiles.active=prod",
                "MYSQL_URL=" + RealStores.mysqlUrl(),
                "MYSQL_USERNAME=" + RealStores.mysqlUsername(),
                "MYSQL_PASSWORD=" + RealStores.mysqlPassword(),
                "REDIS_SENTINEL_MASTER=" + RedisSentinelGroup.MASTER_NAME,
                "REDIS_SENTINEL_NODES=" + redis.sentinelNodes(),
                "MONGODB_URI=mongodb://127.0.0.1:" + mongo.getLocalAddress().getPort()
                        + "/switchyard?serverSelectionTimeoutMS=2000",
                "JWT_SECRET=a-shared-sentinel-failover-test-secret-32b",
                "KAKAO_CLIENT_ID=sentinel-failover-test-client",
                "KAKAO_REDIRECT_URIS=https://app.example.test/oauth/kakao",
                "APP_COLOR=" + color,
                "APP_ENV=prod",
                "LOG_FORMAT=text",
                "switchyard.chat.redis-channel=" + CHANNEL,
                "spring.lifecycle.timeout-per-shutdown-phase=5s",
                "switchyard.chat.drain-timeout=1s");
    }

    @Test
    void masterFailoverDuringChatLosesNothingAndLiveFanOutResumes() throws Exception {
        Person alice = person("alice");
        Person bob = person("bob");
        long room = call(a, alice, "POST", "/api/rooms", "{\"name\": \"failover\"}").path("id").asLong();
        call(b, bob, "POST", "/api/rooms/" + room + "/join", null);
        await("both instances' fan-out subscriptions on the master",
                () -> redis.subscribers(redis.masterPort(), CHANNEL) == 2);

        try (StompTestClient bobOnB = StompTestClient.connect(b.port(), bob.token());
                Sender aliceOnA = new Sender(a.port(), alice.token(), room)) {
            var live = bobOnB.subscribe(room, null);

            List<Long> before = aliceOnA.sendSome("before", 10);
            assertThat(live.awaitIds(before.size())).as("live through the first master").containsExactlyElementsOf(before);
            long lastSeenBeforeCrash = live.lastId();

            CompletableFuture<List<Long>> during = CompletableFuture.supplyAsync(aliceOnA::sendUntilStopped);
            Thread.sleep(300);
            long crashed = System.nanoTime();
            redis.killMaster();

            await("the sentinels promote the replica",
                    () -> redis.reportedMasterPort() == redis.replicaPort());
            double promotedS = secondsSince(crashed);
            await("both instances ready again (readiness includes Redis)",
                    () -> ready(a) && ready(b));
            double readyS = secondsSince(crashed);
            await("both instances' fan-out subscriptions on the new master",
                    () -> redis.subscribers(redis.replicaPort(), CHANNEL) == 2);
            double resubscribedS = secondsSince(crashed);
            aliceOnA.stop();
            List<Long> duringIds = during.get(60, TimeUnit.SECONDS);

            List<Long> after = aliceOnA.sendSome("after", 10);
            await("the messages sent after the failover, live on B", () -> live.ids().containsAll(after));
            List<Long> liveIds = live.ids();
            assertThat(liveIds.subList(liveIds.size() - after.size(), liveIds.size()))
                    .as("live delivery to B resumes on the same subscription, through the new master")
                    .containsExactlyElementsOf(after);
            assertThat(liveIds).as("live: in order, nothing twice").isSorted().doesNotHaveDuplicates();

            List<Long> acknowledged = new ArrayList<>(before);
            acknowledged.addAll(duringIds);
            acknowledged.addAll(after);
            assertThat(acknowledged).as("every send acknowledged once (resends carry their message-key)")
                    .isSorted().doesNotHaveDuplicates();
            assertThat(storedIds(b, bob, room)).as("stored in MongoDB").containsExactlyElementsOf(acknowledged);

            try (StompTestClient bobResumes = StompTestClient.connect(b.port(), bob.token())) {
                List<Long> rest = acknowledged.subList(before.size(), acknowledged.size());
                var resumed = bobResumes.subscribe(room, lastSeenBeforeCrash);
                assertThat(resumed.awaitIds(rest.size())).as("resume from the last id seen before the crash")
                        .containsExactlyElementsOf(rest);
            }

            long missedLive = duringIds.stream().filter(id -> !liveIds.contains(id)).count();
            System.out.printf("[ChatSentinelFailoverIT] master killed: replica promoted after %.1f s, both instances "
                    + "ready after %.1f s, fan-out resubscribed on the new master after %.1f s; %d messages sent "
                    + "during the failover (%d resends), %d of them reached B only by resume; "
                    + "%d messages acknowledged, %d stored, 0 lost%n",
                    promotedS, readyS, resubscribedS, duringIds.size(), aliceOnA.resends, missedLive,
                    acknowledged.size(), acknowledged.size());
        }
    }

    /**
     * Alice's client: each message with a message-key and a receipt; a message whose receipt does not come (Redis
     * calls time out during the failover) is sent again with the same key, on a new connection if the old one
     * closed, as docs/chat.md tells clients to do.
     */
    private static final class Sender implements AutoCloseable {

        private final int port;
        private final String token;
        private final long room;
        private final AtomicBoolean stopped = new AtomicBoolean();
        private StompTestClient client;
        private int resends;

        Sender(int port, String token, long room) throws Exception {
            this.port = port;
            this.token = token;
            this.room = room;
            this.client = StompTestClient.connect(port, token);
        }

        List<Long> sendSome(String label, int count) throws Exception {
            List<Long> ids = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                ids.add(send(label + " " + i));
            }
            return ids;
        }

        /** Sends about every 50 ms until {@link #stop()}; at most 2000 messages. */
        List<Long> sendUntilStopped() {
            List<Long> ids = new ArrayList<>();
            try {
                for (int i = 0; i < 2000 && !stopped.get(); i++) {
                    ids.add(send("during " + i));
                    Thread.sleep(50);
                }
            } catch (Exception e) {
                throw new IllegalStateException("sending during the failover", e);
            }
            return ids;
        }

        void stop() {
            stopped.set(true);
        }

        private long send(String text) throws Exception {
            String key = UUID.randomUUID().toString();
            Exception last = null;
            for (int attempt = 0; attempt < 5; attempt++) {
                if (attempt > 0) {
                    resends++;
                }
                try {
                    if (!client.isConnected()) {
                        client = StompTestClient.connect(port, token);
                    }
                    return client.send(room, text, key).get(WAIT, TimeUnit.SECONDS);
                } catch (Exception e) {
                    last = e;
                }
            }
            throw new IllegalStateException("no receipt for '" + text + "' after 5 attempts", last);
        }

        @Override
        public void close() {
            client.close();
        }
    }

    private Person person(String nickname) {
        long kakaoId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        User user = a.context().getBean(UserRepository.class).save(
                User.register(kakaoId, new UserProfile(nickname, null, null, null), Instant.now()));
        return new Person(user.getId(), a.context().getBean(AccessTokens.class).issue(user.getId()).value());
    }

    private List<Long> storedIds(RunningApp app, Person who, long room) throws Exception {
        List<Long> ids = new ArrayList<>();
        long after = 0;
        while (true) {
            JsonNode page = call(app, who, "GET", "/api/rooms/" + room + "/messages?limit=100&after=" + after, null);
            page.path("messages").forEach(m -> ids.add(m.path("id").asLong()));
            if (!page.path("hasMore").asBoolean() || ids.isEmpty()) {
                return ids;
            }
            after = ids.get(ids.size() - 1);
        }
    }

    private static boolean ready(RunningApp app) {
        try {
            return app.get("/actuator/health/readiness").statusCode() == 200;
        } catch (Exception notAnswering) {
            return false;
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + RECOVERY_DEADLINE.toNanos();
        while (System.nanoTime() < until) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException notYet) {
                // the old master's address refuses while the sentinels elect: keep polling
            }
            Thread.sleep(100);
        }
        throw new AssertionError(what + ": not within " + RECOVERY_DEADLINE.toSeconds() + " s");
    }

    private static double secondsSince(long nanos) {
        return (System.nanoTime() - nanos) / 1e9;
    }

    private JsonNode call(RunningApp app, Person who, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + who.token())
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isLessThan(300);
        return response.body().isEmpty() ? json.missingNode() : json.readTree(response.body());
    }
}
