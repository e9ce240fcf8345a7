package io.switchyard.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.switchyard.support.error.ErrorCode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.core.task.TaskExecutor;
import org.springframework.core.task.TaskRejectedException;
import org.springframework.dao.DataAccessException;
import org.springframework.messaging.Message;
import org.springframework.messaging.simp.SimpMessageHeaderAccessor;
import org.springframework.messaging.simp.SimpMessageType;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.stereotype.Component;
import org.springframework.util.MimeTypeUtils;

/**
 * This instance's room subscribers, and gap-free delivery to them.
 *
 * <p>Each subscription has a cursor: the id of the last message it delivered. It delivers id cursor + 1 next and
 * nothing else, so a client gets every message of the room once, in id order. A live message from the fan-out that
 * is not the next one (an older one was published later, or lost) is buffered, and the subscription catches up from
 * MongoDB: since ids have no holes, every id below a published one is stored already (see {@link MessageStore}).
 * Catching up also runs when a client resumes ({@code last-id}), when the fan-out's listener has (re)subscribed to
 * Redis, and when the periodic sweep finds a subscription still behind its room's newest id of the previous sweep
 * (a publish that failed or was lost in a quiet room). MongoDB is read on the replay pool, never on the caller's
 * thread, and never while holding a subscription's lock.
 */
@Component
class RoomSubscriptions {

    private static final Logger log = LoggerFactory.getLogger(RoomSubscriptions.class);
    /** Live messages a subscription buffers while catching up; beyond that it reads them from MongoDB too. */
    private static final int MAX_PENDING = 2_000;
    private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(1);

    private final ClientChannel client;
    private final ObjectMapper json;
    private final MessageStore store;
    private final TaskExecutor replay;
    private final TaskScheduler scheduler;
    private final Clock clock;
    private final ChatProperties properties;
    private final Map<Long, Set<Subscription>> byRoom = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Subscription>> bySession = new ConcurrentHashMap<>();
    private volatile ScheduledFuture<?> sweep;
    private volatile boolean sweepFailing;

    RoomSubscriptions(ClientChannel client, ObjectMapper json, MessageStore store,
            @Qualifier("chatReplayExecutor") TaskExecutor replay, @Qualifier("chatScheduler") TaskScheduler scheduler,
            Clock clock, ChatProperties properties) {
        this.client = client;
        this.json = json;
        this.store = store;
        this.replay = replay;
        this.scheduler = scheduler;
        this.clock = clock;
        this.properties = properties;
    }

    @PostConstruct
    void startSweep() {
        Duration every = properties.catchUpInterval();
        if (!every.isZero() && !every.isNegative()) {
            sweep = scheduler.scheduleAtFixedRate(() -> sweep(false), clock.instant().plus(every), every);
        }
    }

    @PreDestroy
    void stopSweep() {
        ScheduledFuture<?> running = sweep;
        if (running != null) {
            running.cancel(false);
        }
    }

    /** Registers a subscription; it delivers nothing until {@link #resume} has placed its cursor. */
    Subscription add(String sessionId, String subscriptionId, String destination, long roomId, long userId) {
        Subscription subscription = new Subscription(sessionId, subscriptionId, destination, roomId, userId);
        Subscription previous = bySession.computeIfAbsent(sessionId, id -> new ConcurrentHashMap<>())
                .put(subscriptionId, subscription);
        if (previous != null) {
            previous.close();
            roomSet(previous.roomId).remove(previous);
        }
        roomSet(roomId).add(subscription);
        return subscription;
    }

    /**
     * Places the cursor and replays, on the replay pool: after {@code lastId}, at most the newest
     * {@code replay-limit} messages; without {@code lastId}, nothing (live from the room's newest id on). Then
     * {@code done} gets the outcome; on failure the subscription is removed.
     */
    void resume(Subscription subscription, Long lastId, Consumer<Resumed> done) {
        try {
            replay.execute(() -> resumeNow(subscription, lastId, done));
        } catch (TaskRejectedException busy) {
            remove(subscription.sessionId, subscription.subscriptionId);
            done.accept(Resumed.failed(ErrorCode.REPLAY_BUSY));
        }
    }

    private void resumeNow(Subscription subscription, Long lastId, Consumer<Resumed> done) {
        try {
            long newest = store.newestId(subscription.roomId);
            long start = lastId == null ? newest : Math.max(lastId, 0);
            Long firstReplayed = null;
            if (newest - start > properties.replayLimit()) {
                start = newest - properties.replayLimit();
                firstReplayed = start + 1;
            }
            subscription.startAt(start);
            catchUp(subscription, true);
            done.accept(new Resumed(null, firstReplayed));
        } catch (DataAccessException storeDown) {
            log.warn("replay for room {} failed, subscription refused: {}", subscription.roomId,
                    storeDown.getMessage());
            remove(subscription.sessionId, subscription.subscriptionId);
            done.accept(Resumed.failed(ErrorCode.REPLAY_FAILED));
        }
    }

    /**
     * @param failure       null on success, else the error code for the client
     * @param firstReplayed when the replay was cut to the newest {@code replay-limit} messages: the first id sent
     *                      (the client pages the ones between its last-id and this over REST); else null
     */
    record Resumed(ErrorCode failure, Long firstReplayed) {

        static Resumed failed(ErrorCode code) {
            return new Resumed(code, null);
        }
    }

    /** A message from the fan-out, to every local subscriber of its room. */
    void deliver(MessageView message) {
        Set<Subscription> subscribers = byRoom.get(message.roomId());
        if (subscribers != null) {
            subscribers.forEach(s -> {
                if (s.live(message)) {
                    submitCatchUp(s);
                }
            });
        }
    }

    /**
     * Compares every local subscription with its room's newest id, one MongoDB query for all rooms. A subscription
     * catches up when it has not reached the newest id seen by the previous sweep, or with {@code force} (after the
     * fan-out's listener resubscribed: anything may have been missed meanwhile) when it is behind at all.
     */
    void sweep(boolean force) {
        List<Long> rooms = byRoom.entrySet().stream().filter(e -> !e.getValue().isEmpty()).map(Map.Entry::getKey)
                .toList();
        if (rooms.isEmpty()) {
            return;
        }
        Map<Long, Long> newest;
        try {
            newest = store.newestIds(rooms);
            if (sweepFailing) {
                sweepFailing = false;
                log.info("chat catch-up sweep reads MongoDB again");
            }
        } catch (DataAccessException e) {
            if (!sweepFailing) {
                sweepFailing = true;
                log.warn("chat catch-up sweep cannot read MongoDB: {}", e.getMessage());
            }
            return;
        }
        newest.forEach((roomId, head) -> {
            Set<Subscription> subscribers = byRoom.get(roomId);
            if (subscribers != null) {
                subscribers.forEach(s -> {
                    if (s.behind(head, force)) {
                        submitCatchUp(s);
                    }
                });
            }
        });
    }

    void remove(String sessionId, String subscriptionId) {
        Map<String, Subscription> subscriptions = bySession.get(sessionId);
        Subscription removed = subscriptions == null ? null : subscriptions.remove(subscriptionId);
        if (removed != null) {
            removed.close();
            roomSet(removed.roomId).remove(removed);
        }
    }

    void removeSession(String sessionId) {
        Map<String, Subscription> subscriptions = bySession.remove(sessionId);
        if (subscriptions != null) {
            subscriptions.values().forEach(s -> {
                s.close();
                roomSet(s.roomId).remove(s);
            });
        }
        client.forget(sessionId);
    }

    /** The user left the room: their subscriptions to it, on this instance, get nothing more. */
    void removeMember(long roomId, long userId) {
        Set<Subscription> subscribers = byRoom.get(roomId);
        if (subscribers != null) {
            subscribers.stream().filter(s -> s.userId == userId).toList()
                    .forEach(s -> remove(s.sessionId, s.subscriptionId));
        }
    }

    int count() {
        return bySession.values().stream().mapToInt(Map::size).sum();
    }

    private Set<Subscription> roomSet(long roomId) {
        return byRoom.computeIfAbsent(roomId, id -> ConcurrentHashMap.newKeySet());
    }

    private void submitCatchUp(Subscription subscription) {
        if (subscription.isClosed()) {
            return;
        }
        try {
            replay.execute(() -> catchUpOrRetry(subscription));
        } catch (TaskRejectedException busy) {
            later(subscription, RETRY_AFTER_FAILURE);
        }
    }

    private void later(Subscription subscription, Duration delay) {
        scheduler.schedule(() -> submitCatchUp(subscription), clock.instant().plus(delay));
    }

    private void catchUpOrRetry(Subscription subscription) {
        try {
            catchUp(subscription, false);
        } catch (DataAccessException storeDown) {
            log.warn("gap fill for room {} failed, retrying: {}", subscription.roomId, storeDown.getMessage());
            later(subscription, RETRY_AFTER_FAILURE);
        }
    }

    /**
     * Reads from the cursor on until the store has nothing newer and no buffered message is left waiting; stops
     * early (and comes back after {@code gap-wait}) at a young hole. The lock is taken only to deliver.
     */
    private void catchUp(Subscription subscription, boolean initial) {
        int batch = properties.replayBatchSize();
        while (!subscription.isClosed()) {
            List<MessageView> found = store.after(subscription.roomId, subscription.cursor(), batch);
            if (!subscription.advance(found, clock.instant())) {
                later(subscription, properties.gapWait());
                return;
            }
            if (found.size() == batch) {
                continue;
            }
            if (subscription.finishCatchUp(clock.instant())) {
                return;
            }
            if (initial) {
                // the receipt should not wait: the rest arrives like any late message
                submitCatchUp(subscription);
                return;
            }
        }
    }

    final class Subscription {

        private final String sessionId;
        private final String subscriptionId;
        private final String destination;
        private final long roomId;
        private final long userId;
        /** The last id delivered; -1 until the resume placed it. */
        private long delivered = -1;
        private boolean catchingUp = true;
        private boolean closed;
        /** The room's newest id at the previous sweep. */
        private long sweepTarget = -1;
        private final TreeMap<Long, MessageView> pending = new TreeMap<>();

        private Subscription(String sessionId, String subscriptionId, String destination, long roomId, long userId) {
            this.sessionId = sessionId;
            this.subscriptionId = subscriptionId;
            this.destination = destination;
            this.roomId = roomId;
            this.userId = userId;
        }

        synchronized void startAt(long cursor) {
            delivered = cursor;
        }

        synchronized long cursor() {
            return delivered;
        }

        synchronized boolean isClosed() {
            return closed;
        }

        synchronized void close() {
            closed = true;
            pending.clear();
        }

        /** A live message; true when it reveals a gap and a catch-up should start. */
        synchronized boolean live(MessageView message) {
            if (closed || (delivered >= 0 && message.id() <= delivered)) {
                return false;
            }
            if (catchingUp || delivered < 0) {
                buffer(message);
                return false;
            }
            if (message.id() == delivered + 1) {
                send(message);
                delivered = message.id();
                return false;
            }
            buffer(message);
            catchingUp = true;
            return true;
        }

        /**
         * Delivers, in id order, what the store returned and what was buffered, as long as each is the next id or
         * follows a hole older than {@code gap-wait}. False when stopped at a young hole.
         */
        synchronized boolean advance(List<MessageView> stored, Instant now) {
            if (closed) {
                return true;
            }
            for (MessageView message : stored) {
                if (message.id() > delivered) {
                    pending.putIfAbsent(message.id(), message);
                }
            }
            while (!pending.isEmpty()) {
                MessageView next = pending.firstEntry().getValue();
                if (next.id() <= delivered) {
                    pending.pollFirstEntry();
                    continue;
                }
                if (next.id() != delivered + 1 && !holeIsOld(next, now)) {
                    return false;
                }
                pending.pollFirstEntry();
                send(next);
                delivered = next.id();
            }
            return true;
        }

        /** Done unless a live message arrived (and left a gap) since the last read; then the caller reads again. */
        synchronized boolean finishCatchUp(Instant now) {
            if (closed || (advance(List.of(), now) && pending.isEmpty())) {
                catchingUp = false;
                return true;
            }
            return false;
        }

        synchronized boolean behind(long newest, boolean force) {
            long previous = sweepTarget;
            sweepTarget = newest;
            if (closed || catchingUp || delivered < 0) {
                return false;
            }
            if (force ? delivered < newest : delivered < previous) {
                catchingUp = true;
                return true;
            }
            return false;
        }

        private boolean holeIsOld(MessageView after, Instant now) {
            return after.createdAt().plus(properties.gapWait()).isBefore(now);
        }

        private void buffer(MessageView message) {
            pending.putIfAbsent(message.id(), message);
            if (pending.size() > MAX_PENDING) {
                pending.pollLastEntry(); // stored: the catch-up reads it from MongoDB
            }
        }

        private void send(MessageView message) {
            SimpMessageHeaderAccessor headers = SimpMessageHeaderAccessor.create(SimpMessageType.MESSAGE);
            headers.setSessionId(sessionId);
            headers.setSubscriptionId(subscriptionId);
            headers.setDestination(destination);
            headers.setContentType(MimeTypeUtils.APPLICATION_JSON);
            headers.setLeaveMutable(true);
            Message<byte[]> frame = MessageBuilder.createMessage(toJson(message), headers.getMessageHeaders());
            client.send(sessionId, frame);
        }
    }

    private byte[] toJson(MessageView message) {
        try {
            return json.writeValueAsBytes(message);
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
