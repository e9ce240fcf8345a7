package io.switchyard.chat;

import io.micrometer.core.instrument.MeterRegistry;
import io.switchyard.room.RoomService;
import io.switchyard.support.security.AccessTokens;
import io.switchyard.testsupport.RedisProcess;
import io.switchyard.testsupport.RunningApp;
import io.switchyard.user.User;
import io.switchyard.user.UserProfile;
import io.switchyard.user.UserRepository;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The chat soak: N clients spread over two instances, each in two of R rooms, sending for S seconds, with a Redis
 * that stops taking publishes for 3 s ({@code CLIENT PAUSE ... WRITE}: publishes time out, the listeners stay) a
 * third of the way in, and is restarted (empty: every listener reconnects) two thirds in, and every second a burst
 * where one client on each instance sends to the same room at the same instant. Then: every client must have every
 * message of its rooms, in id order, none twice. Prints sent, delivered, lost, duplicated, out of order and the
 * longest send-to-delivery time (which bounds gap recovery). Sizes from SOAK_* variables (scripts/soak-chat.sh).
 */
final class ChatSoak {

    private final RunningApp a;
    private final RunningApp b;
    private final RedisProcess redis;
    private final int clients = intEnv("SOAK_CLIENTS", 12);
    private final int rooms = intEnv("SOAK_ROOMS", 3);
    private final int seconds = intEnv("SOAK_SECONDS", 12);
    private final int perSecond = intEnv("SOAK_RATE", 4);

    ChatSoak(RunningApp a, RunningApp b, RedisProcess redis) {
        this.a = a;
        this.b = b;
        this.redis = redis;
    }

    record Figures(long sent, long deliveriesExpected, long delivered, long lost, long duplicated, long outOfOrder,
            long maxDelayMs, double publishFailures, double resubscribes) {
    }

    /** One client's view of one room: ids in the order they arrived. */
    private static final class Feed {
        final List<Long> ids = new CopyOnWriteArrayList<>();
    }

    Figures run() throws Exception {
        UserRepository users = a.context().getBean(UserRepository.class);
        RoomService roomService = a.context().getBean(RoomService.class);
        AccessTokens tokens = a.context().getBean(AccessTokens.class);
        List<Long> userIds = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            userIds.add(users.save(User.register(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE),
                    new UserProfile("soak" + i, null, null, null), Instant.now())).getId());
        }
        long[] roomIds = new long[rooms];
        for (int r = 0; r < rooms; r++) {
            roomIds[r] = roomService.create(userIds.get(0), "soak " + r).id();
        }
        List<StompTestClient> connections = new ArrayList<>();
        List<long[]> roomsOf = new ArrayList<>();
        List<Map<Long, Feed>> feeds = new ArrayList<>();
        Map<Long, Long> sentAt = new ConcurrentHashMap<>(); // "room:id" hashed below -> send nanos
        AtomicLong maxDelay = new AtomicLong();
        for (int i = 0; i < clients; i++) {
            long[] mine = {roomIds[i % rooms], roomIds[(i + 1) % rooms]};
            for (long room : mine) {
                roomService.join(room, userIds.get(i));
            }
            StompTestClient client = StompTestClient.connect((i % 2 == 0 ? a : b).port(),
                    tokens.issue(userIds.get(i)).value());
            Map<Long, Feed> byRoom = new ConcurrentHashMap<>();
            for (long room : mine) {
                Feed feed = new Feed();
                byRoom.put(room, feed);
                client.subscribeListener(room, message -> {
                    feed.ids.add(message.id());
                    Long at = sentAt.get(key(room, message.id()));
                    if (at != null) {
                        maxDelay.accumulateAndGet(System.nanoTime() - at, Math::max);
                    }
                });
            }
            connections.add(client);
            roomsOf.add(mine);
            feeds.add(byRoom);
        }

        MeterRegistry metersA = a.context().getBean(MeterRegistry.class);
        MeterRegistry metersB = b.context().getBean(MeterRegistry.class);
        double failuresBefore = count(metersA, metersB, "switchyard.chat.publish.failures");
        double subscriptionsBefore = count(metersA, metersB, "switchyard.chat.fanout.subscriptions");

        AtomicLongArray sentPerRoom = new AtomicLongArray(rooms);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        ExecutorService senders = Executors.newFixedThreadPool(clients + 2);
        List<java.util.concurrent.Future<?>> running = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            StompTestClient client = connections.get(i);
            long[] mine = roomsOf.get(i);
            running.add(senders.submit(() -> {
                long pause = 1000L / perSecond;
                int n = 0;
                while (System.nanoTime() < end) {
                    long room = mine[n++ % 2];
                    send(client, room, sentAt);
                    Thread.sleep(pause);
                }
                return null;
            }));
        }
        // bursts: client 0 (on A) and client 1 (on B) send to the same room at the same instant
        CyclicBarrier together = new CyclicBarrier(2);
        for (int i = 0; i < 2; i++) {
            StompTestClient client = connections.get(i);
            running.add(senders.submit(() -> {
                while (System.nanoTime() < end) {
                    try {
                        together.await(5, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.BrokenBarrierException over) {
                        return null; // the other side saw the end first
                    }
                    send(client, roomIds[1 % rooms], sentAt);
                    Thread.sleep(1000);
                }
                together.reset();
                return null;
            }));
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds) / 3);
        redis.cli("CLIENT", "PAUSE", "3000", "WRITE");
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds) / 3);
        redis.restart();
        for (java.util.concurrent.Future<?> sender : running) {
            sender.get(seconds + 60L, TimeUnit.SECONDS);
        }
        senders.shutdown();

        // what was stored: ids 1..N in each room (REST would say the same; the store is the truth)
        MessageStore store = a.context().getBean(MessageStore.class);
        long[] newest = new long[rooms];
        long sent = 0;
        for (int r = 0; r < rooms; r++) {
            newest[r] = store.newestId(roomIds[r]);
            sent += newest[r];
        }
        long expected = 0;
        for (int i = 0; i < clients; i++) {
            for (long room : roomsOf.get(i)) {
                expected += newest[indexOf(roomIds, room)];
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (delivered(feeds) < expected && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        Thread.sleep(500); // late duplicates, if any, would arrive now

        long lost = 0;
        long duplicated = 0;
        long outOfOrder = 0;
        for (int i = 0; i < clients; i++) {
            for (long room : roomsOf.get(i)) {
                List<Long> got = feeds.get(i).get(room).ids;
                long n = newest[indexOf(roomIds, room)];
                lost += n - got.stream().filter(id -> id >= 1 && id <= n).distinct().count();
                duplicated += got.size() - got.stream().distinct().count();
                for (int k = 1; k < got.size(); k++) {
                    if (got.get(k) != got.get(k - 1) + 1) {
                        outOfOrder++;
                    }
                }
            }
        }
        connections.forEach(StompTestClient::close);
        // empty rooms drop out of the popular list the other cluster tests check
        for (int i = 0; i < clients; i++) {
            for (long room : roomsOf.get(i)) {
                roomService.leave(room, userIds.get(i));
            }
        }
        for (long room : roomIds) {
            if (roomService.roomsOf(userIds.get(0), null, null).items().stream().anyMatch(r -> r.id() == room)) {
                roomService.leave(room, userIds.get(0));
            }
        }
        return new Figures(sent, expected, delivered(feeds), lost, duplicated, outOfOrder,
                TimeUnit.NANOSECONDS.toMillis(maxDelay.get()),
                count(metersA, metersB, "switchyard.chat.publish.failures") - failuresBefore,
                count(metersA, metersB, "switchyard.chat.fanout.subscriptions") - subscriptionsBefore);
    }

    private static void send(StompTestClient client, long room, Map<Long, Long> sentAt) throws Exception {
        long started = System.nanoTime();
        long id = client.sendAndWait(room, "soak " + started);
        sentAt.putIfAbsent(key(room, id), started);
    }

    private static long key(long room, long id) {
        return room * 1_000_000_000L + id;
    }

    private static long delivered(List<Map<Long, Feed>> feeds) {
        return feeds.stream().flatMap(m -> m.values().stream()).mapToLong(f -> f.ids.size()).sum();
    }

    private static int indexOf(long[] values, long value) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] == value) {
                return i;
            }
        }
        throw new IllegalArgumentException(Long.toString(value));
    }

    private static double count(MeterRegistry first, MeterRegistry second, String name) {
        return first.counter(name).count() + second.counter(name).count();
    }

    private static int intEnv(String name, int fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value);
    }
}
