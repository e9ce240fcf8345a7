package io.switchyard.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledFuture;
import org.junit.jupiter.api.Test;
import org.springframework.core.task.SyncTaskExecutor;
import org.springframework.messaging.Message;
import org.springframework.messaging.simp.SimpMessageHeaderAccessor;
import org.springframework.scheduling.concurrent.ConcurrentTaskScheduler;

/**
 * Gap-free delivery of one subscriber, without a server: a store that is a sorted map, replay on the calling
 * thread, a clock the test moves. What reaches the client, in which order.
 */
class RoomSubscriptionsTest {

    private static final long ROOM = 7;
    private final ObjectMapper json = new ObjectMapper().findAndRegisterModules();
    private final List<Message<?>> sent = new ArrayList<>();
    private final ClientChannel client = new ClientChannel(null) {
        @Override
        void send(String sessionId, Message<?> message) {
            sent.add(message);
        }
    };
    private final TreeMap<Long, MessageView> stored = new TreeMap<>();
    private Instant now = Instant.parse("2025-01-01T00:00:00Z");
    private final MessageStore store = new MessageStore(null, Clock.fixed(now, ZoneOffset.UTC)) {
        @Override
        List<MessageView> after(long roomId, long afterId, int limit) {
            return stored.tailMap(afterId, false).values().stream().limit(limit).toList();
        }

        @Override
        public long newestId(long roomId) {
            return stored.isEmpty() ? 0 : stored.lastKey();
        }

        @Override
        Map<Long, Long> newestIds(Collection<Long> roomIds) {
            Map<Long, Long> newest = new HashMap<>();
            newest.put(ROOM, newestId(ROOM));
            return newest;
        }
    };
    private final List<Runnable> scheduled = new ArrayList<>();
    private final ConcurrentTaskScheduler scheduler = new ConcurrentTaskScheduler() {
        @Override
        public ScheduledFuture<?> schedule(Runnable task, Instant startTime) {
            scheduled.add(task);
            return null;
        }
    };
    private final ChatProperties properties = new ChatProperties(1000, 50, 100, 3, 5, 1, 10, Duration.ZERO,
            Duration.ofSeconds(1), Duration.ofSeconds(10), "c", Duration.ofSeconds(3), new String[] {"*"});
    private final RoomSubscriptions subscriptions = new RoomSubscriptions(client, json, store, new SyncTaskExecutor(),
            scheduler, new Clock() {
                @Override
                public Instant instant() {
                    return now;
                }

                @Override
                public java.time.ZoneId getZone() {
                    return ZoneOffset.UTC;
                }

                @Override
                public Clock withZone(java.time.ZoneId zone) {
                    return this;
                }
            }, properties);
    private final List<RoomSubscriptions.Resumed> resumed = new ArrayList<>();

    @Test
    void resumeReplaysWhatWasMissedThenLiveInOrderOnce() throws Exception {
        store(1, 2, 3, 4);
        subscribe(2L);
        assertThat(ids()).containsExactly(3L, 4L);

        store(5);
        deliver(stored(5));
        deliver(stored(4)); // a late copy of a replayed message
        deliver(stored(5));
        assertThat(ids()).containsExactly(3L, 4L, 5L);
        assertThat(resumed).singleElement().satisfies(r -> assertThat(r.firstReplayed()).isNull());
        SimpMessageHeaderAccessor headers = SimpMessageHeaderAccessor.wrap(sent.get(0));
        assertThat(headers.getSubscriptionId()).isEqualTo("sub-0");
        assertThat(headers.getSessionId()).isEqualTo("s1");
        assertThat(headers.getDestination()).isEqualTo("/topic/rooms/7");
    }

    @Test
    void withoutLastIdOnlyWhatComesAfterTheSubscription() throws Exception {
        store(1, 2);
        subscribe(null);
        store(3);
        deliver(stored(3));
        assertThat(ids()).containsExactly(3L);
    }

    @Test
    void aLiveMessageAheadOfTheCursorIsHeldWhileTheGapIsReadFromTheStore() throws Exception {
        store(1);
        subscribe(null);
        store(2, 3);
        deliver(stored(3)); // 2 was published later, or its publish was lost
        assertThat(ids()).containsExactly(2L, 3L);
        deliver(stored(2));
        assertThat(ids()).containsExactly(2L, 3L);
    }

    @Test
    void theSweepFindsAMessageWhosePublishWasLostInAQuietRoom() throws Exception {
        subscribe(null);
        store(1);
        subscriptions.sweep(false);
        assertThat(ids()).as("the first sweep only notes the newest id").isEmpty();
        subscriptions.sweep(false);
        assertThat(ids()).containsExactly(1L);
        store(2);
        subscriptions.sweep(true); // after the listener resubscribed: at once
        assertThat(ids()).containsExactly(1L, 2L);
    }

    @Test
    void replayIsCappedToTheNewestMessagesAndSaysWhereItStarts() throws Exception {
        store(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        subscribe(0L);
        assertThat(ids()).containsExactly(8L, 9L, 10L, 11L, 12L);
        assertThat(resumed).singleElement().satisfies(r -> assertThat(r.firstReplayed()).isEqualTo(8L));
    }

    @Test
    void aYoungHoleIsWaitedForAnOldOneSkipped() throws Exception {
        // ids 2 and 3 missing: a previous release may still be storing them, or skipped them for good
        store(1);
        subscribe(null);
        stored.put(4L, message(4, now));
        deliver(stored(4));
        assertThat(ids()).as("waiting for 2 and 3").isEmpty();
        stored.put(2L, message(2, now));
        now = now.plusMillis(500);
        runScheduled();
        assertThat(ids()).containsExactly(2L);
        now = now.plusSeconds(2);
        runScheduled();
        assertThat(ids()).as("3 never came: skipped once 4 is old").containsExactly(2L, 4L);
    }

    @Test
    void onlySubscribersOfTheRoomGetItAndNotAfterLeaving() throws Exception {
        subscriptions.resume(subscriptions.add("s1", "a", "/topic/rooms/1", 1, 100), null, r -> { });
        subscriptions.resume(subscriptions.add("s2", "b", "/topic/rooms/2", 2, 200), null, r -> { });
        subscriptions.resume(subscriptions.add("s3", "c", "/topic/rooms/2", 2, 300), null, r -> { });

        subscriptions.deliver(new MessageView(1, 1, 1, "m", now));
        subscriptions.remove("s1", "a");
        subscriptions.deliver(new MessageView(2, 1, 1, "m", now));
        subscriptions.removeSession("s2");
        subscriptions.removeMember(2, 300);
        subscriptions.deliver(new MessageView(1, 2, 1, "m", now));

        assertThat(ids()).containsExactly(1L);
        assertThat(subscriptions.count()).isZero();
    }

    @Test
    void roomDestinationsAreParsedStrictly() {
        assertThat(RoomSubscribeInterceptor.roomId("/topic/rooms/42")).isEqualTo(42L);
        assertThat(RoomSubscribeInterceptor.roomId("/topic/rooms/0")).isNull();
        assertThat(RoomSubscribeInterceptor.roomId("/topic/rooms/x")).isNull();
        assertThat(RoomSubscribeInterceptor.roomId("/topic/rooms/1/2")).isNull();
        assertThat(RoomSubscribeInterceptor.roomId("/topic/other")).isNull();
    }

    private void subscribe(Long lastId) {
        subscriptions.resume(subscriptions.add("s1", "sub-0", "/topic/rooms/" + ROOM, ROOM, 100), lastId,
                resumed::add);
    }

    private void runScheduled() {
        List<Runnable> due = new ArrayList<>(scheduled);
        scheduled.clear();
        due.forEach(Runnable::run);
    }

    private void store(long... ids) {
        for (long id : ids) {
            stored.put(id, message(id, now.minusSeconds(60)));
        }
    }

    private MessageView stored(long id) {
        return stored.get(id);
    }

    private void deliver(MessageView message) {
        subscriptions.deliver(message);
    }

    private List<Long> ids() throws Exception {
        List<Long> ids = new ArrayList<>();
        for (Message<?> message : sent) {
            ids.add(json.readValue((byte[]) message.getPayload(), MessageView.class).id());
        }
        return ids;
    }

    private static MessageView message(long id, Instant at) {
        return new MessageView(id, ROOM, 1, "m" + id, at);
    }
}
