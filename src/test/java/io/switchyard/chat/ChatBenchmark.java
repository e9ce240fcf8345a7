package io.switchyard.chat;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.switchyard.room.RoomService;
import io.switchyard.support.security.AccessTokens;
import io.switchyard.testsupport.RealStores;
import io.switchyard.testsupport.RunningApp;
import io.switchyard.user.User;
import io.switchyard.user.UserProfile;
import io.switchyard.user.UserRepository;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Not a test: a measurement (scripts/bench-chat.sh runs it; the name matches neither *Test nor *IT). N clients
 * spread over two instances share one room; each sends M messages; every client should receive every message.
 * Prints delivered messages/s, end-to-end latency (send to receive, one JVM clock) and lost/duplicated counts.
 */
class ChatBenchmark {

    private static final int CLIENTS = intEnv("BENCH_CLIENTS", 20);
    private static final int MESSAGES = intEnv("BENCH_MESSAGES", 50);

    @Test
    void fanOutAcrossTwoInstances() throws Exception {
        MongoServer mongo = new MongoServer(new MemoryBackend());
        mongo.bind("127.0.0.1", 0);
        String mongoUri = "mongodb://127.0.0.1:" + mongo.getLocalAddress().getPort() + "/bench";
        CompletableFuture<RunningApp> startA = CompletableFuture.supplyAsync(() -> instance("blue", mongoUri));
        try (RunningApp b = instance("green", mongoUri); RunningApp a = startA.get(180, TimeUnit.SECONDS)) {
            UserRepository users = a.context().getBean(UserRepository.class);
            AccessTokens tokens = a.context().getBean(AccessTokens.class);
            RoomService rooms = a.context().getBean(RoomService.class);
            List<Long> userIds = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                userIds.add(users.save(User.register(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE),
                        new UserProfile("bench" + i, null, null, null), Instant.now())).getId());
            }
            long room = rooms.create(userIds.get(0), "bench " + Instant.now()).id();
            userIds.forEach(id -> rooms.join(room, id));

            List<StompTestClient> clients = new ArrayList<>();
            List<Map<Long, Long>> received = new ArrayList<>(); // per client: message id -> latency ns
            List<long[]> duplicates = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                RunningApp app = i % 2 == 0 ? a : b;
                StompTestClient client = StompTestClient.connect(app.port(), tokens.issue(userIds.get(i)).value());
                Map<Long, Long> latencies = new ConcurrentHashMap<>();
                long[] dup = new long[1];
                client.subscribeListener(room, message -> {
                    long latency = System.nanoTime() - Long.parseLong(message.text());
                    if (latencies.putIfAbsent(message.id(), latency) != null) {
                        synchronized (dup) {
                            dup[0]++;
                        }
                    }
                });
                clients.add(client);
                received.add(latencies);
                duplicates.add(dup);
            }

            // one thread per sender: the common pool has a single thread on a 2-core host
            ExecutorService senderThreads = Executors.newFixedThreadPool(CLIENTS);
            long started = System.nanoTime();
            List<CompletableFuture<Void>> senders = new ArrayList<>();
            Set<Long> sentIds = ConcurrentHashMap.newKeySet();
            for (StompTestClient client : clients) {
                senders.add(CompletableFuture.runAsync(() -> {
                    for (int m = 0; m < MESSAGES; m++) {
                        try {
                            sentIds.add(client.sendAndWait(room, Long.toString(System.nanoTime())));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }, senderThreads));
            }
            CompletableFuture.allOf(senders.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
            senderThreads.shutdown();
            long expected = (long) sentIds.size() * CLIENTS;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (received.stream().mapToLong(Map::size).sum() < expected && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            long lastArrival = System.nanoTime();
            double seconds = (lastArrival - started) / 1e9;

            long delivered = received.stream().mapToLong(Map::size).sum();
            long lost = 0;
            for (Map<Long, Long> perClient : received) {
                Set<Long> missing = new HashSet<>(sentIds);
                missing.removeAll(perClient.keySet());
                lost += missing.size();
            }
            long dups = duplicates.stream().mapToLong(d -> d[0]).sum();
            long[] latencies = received.stream().flatMap(m -> m.values().stream()).mapToLong(Long::longValue)
                    .sorted().toArray();
            System.out.printf("%nBENCH clients=%d (over 2 instances) messages sent=%d deliveries expected=%d%n",
                    CLIENTS, sentIds.size(), expected);
            System.out.printf("BENCH delivered=%d in %.2f s = %.0f messages/s delivered, %.0f sent/s%n",
                    delivered, seconds, delivered / seconds, sentIds.size() / seconds);
            System.out.printf("BENCH latency p50=%.1f ms p99=%.1f ms max=%.1f ms%n", percentile(latencies, 50),
                    percentile(latencies, 99), latencies.length == 0 ? 0 : latencies[latencies.length - 1] / 1e6);
            System.out.printf("BENCH lost=%d duplicated=%d%n%n", lost, dups);
            clients.forEach(StompTestClient::close);
            if (lost != 0 || dups != 0) {
                throw new AssertionError("lost " + lost + ", duplicated " + dups);
            }
        } finally {
            mongo.shutdownNow();
        }
    }

    private static RunningApp instance(String color, String mongoUri) {
        return RunningApp.start(
                "switchyard.app.color=" + color,
                "logging.level.root=warn",
                "spring.datasource.url=" + RealStores.mysqlUrl(),
                "spring.datasource.username=" + RealStores.mysqlUsername(),
                "spring.datasource.password=" + RealStores.mysqlPassword(),
                "switchyard.embedded.redis=false",
                "spring.data.redis.host=" + RealStores.redisHost(),
                "spring.data.redis.port=" + RealStores.redisPort(),
                "switchyard.embedded.mongo=false",
                "spring.data.mongodb.uri=" + mongoUri,
                "switchyard.security.jwt.secret=a-shared-benchmark-secret-of-at-least-32-bytes");
    }

    private static double percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(index, 0)] / 1e6;
    }

    private static int intEnv(String name, int fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value);
    }
}
