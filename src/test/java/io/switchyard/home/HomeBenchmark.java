package io.switchyard.home;

import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.switchyard.room.RoomService;
import io.switchyard.support.security.AccessTokens;
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
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.mongo.MongoClientSettingsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.mongodb.core.MongoTemplate;

/**
 * Not a test: a measurement (scripts/bench-home.sh runs it; the name matches neither *Test nor *IT). One user in
 * ROOMS rooms of MESSAGES messages each (written by someone else, read markers spread out), then CALLS timed
 * {@code GET /api/home}. Prints p50/p99/max and the MongoDB commands one call makes. Seeds the documents the way
 * every release stores them (chat_messages plus the per-room counter), so the figures compare across releases.
 * Runs on the embedded default: the in-process MongoDB server scans where a real one would use an index, so the
 * absolute numbers overstate per-room queries; the command count is what carries over.
 */
class HomeBenchmark {

    private static final int ROOMS = intEnv("BENCH_ROOMS", 50);
    private static final int MESSAGES = intEnv("BENCH_MESSAGES", 10_000);
    private static final int CALLS = intEnv("BENCH_CALLS", 30);

    static final AtomicLong mongoCommands = new AtomicLong();

    @Configuration(proxyBeanMethods = false)
    static class CountMongoCommands {

        @Bean
        MongoClientSettingsBuilderCustomizer countCommands() {
            return settings -> settings.addCommandListener(new CommandListener() {
                @Override
                public void commandStarted(CommandStartedEvent event) {
                    mongoCommands.incrementAndGet();
                }
            });
        }
    }

    @Test
    void homeOfAUserInManyBigRooms() throws Exception {
        try (RunningApp app = RunningApp.start(List.of(CountMongoCommands.class), "logging.level.root=warn")) {
            UserRepository users = app.context().getBean(UserRepository.class);
            RoomService rooms = app.context().getBean(RoomService.class);
            MongoTemplate mongo = app.context().getBean(MongoTemplate.class);
            long me = newUser(users, "me");
            long other = newUser(users, "other");
            long seeding = System.nanoTime();
            for (int r = 0; r < ROOMS; r++) {
                long room = rooms.create(other, "room " + r).id();
                rooms.join(room, me);
                List<Document> messages = new ArrayList<>(MESSAGES);
                Instant start = Instant.now().minusSeconds(MESSAGES);
                for (int seq = 1; seq <= MESSAGES; seq++) {
                    messages.add(new Document("_id", room + ":" + seq).append("roomId", room).append("seq", (long) seq)
                            .append("senderId", seq % 10 == 0 ? me : other).append("text", "message " + seq)
                            .append("createdAt", Date.from(start.plusSeconds(seq))));
                }
                mongo.getCollection("chat_messages").insertMany(messages);
                mongo.getCollection("chat_room_sequences").insertOne(
                        new Document("_id", room).append("seq", (long) MESSAGES));
                // read markers from "read everything" to "never read"
                rooms.markRead(room, me, (long) MESSAGES * r / ROOMS);
            }
            System.out.printf("%nBENCH seeded %d rooms x %d messages in %.1f s%n", ROOMS, MESSAGES,
                    (System.nanoTime() - seeding) / 1e9);

            String token = app.context().getBean(AccessTokens.class).issue(me).value();
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest home = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/api/home"))
                    .header("Authorization", "Bearer " + token).timeout(Duration.ofMinutes(2)).GET().build();
            for (int i = 0; i < 3; i++) {
                expectOk(http.send(home, HttpResponse.BodyHandlers.ofString()));
            }
            long[] nanos = new long[CALLS];
            long commandsBefore = mongoCommands.get();
            for (int i = 0; i < CALLS; i++) {
                long started = System.nanoTime();
                expectOk(http.send(home, HttpResponse.BodyHandlers.ofString()));
                nanos[i] = System.nanoTime() - started;
            }
            long commandsPerCall = (mongoCommands.get() - commandsBefore) / CALLS;
            Arrays.sort(nanos);
            System.out.printf("BENCH GET /api/home, %d rooms x %d messages, %d calls: p50=%.1f ms p99=%.1f ms "
                            + "max=%.1f ms, MongoDB commands per call=%d%n%n", ROOMS, MESSAGES, CALLS,
                    percentile(nanos, 50), percentile(nanos, 99), nanos[CALLS - 1] / 1e6, commandsPerCall);
        }
    }

    private static long newUser(UserRepository users, String nickname) {
        return users.save(User.register(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE),
                new UserProfile(nickname, null, null, null), Instant.now())).getId();
    }

    private static void expectOk(HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw new AssertionError("GET /api/home answered " + response.statusCode() + ": " + response.body());
        }
    }

    private static double percentile(long[] sorted, int p) {
        int index = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(index, 0)] / 1e6;
    }

    private static int intEnv(String name, int fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value);
    }
}
