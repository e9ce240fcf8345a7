package io.switchyard.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.messaging.Message;
import org.springframework.messaging.simp.SimpMessageHeaderAccessor;
import org.springframework.messaging.simp.SimpMessageType;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.stereotype.Component;
import org.springframework.util.MimeTypeUtils;

/**
 * This instance's room subscribers, and delivery to them.
 *
 * <p>A subscriber that resumes from a last-seen id is first in REPLAYING state: the messages it missed are read
 * from MongoDB and sent, while live messages arriving meanwhile are buffered. Because the subscription is
 * registered before MongoDB is read, every message is either in the replay (persisted before the read) or in the
 * buffer (published after registration), or both; sending the buffer minus the replayed ids then leaves no gap
 * and no duplicate.
 */
@Component
class RoomSubscriptions {

    private final ClientChannel client;
    private final ObjectMapper json;
    private final Map<Long, Set<Subscription>> byRoom = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Subscription>> bySession = new ConcurrentHashMap<>();

    RoomSubscriptions(ClientChannel client, ObjectMapper json) {
        this.client = client;
        this.json = json;
    }

    Subscription add(String sessionId, String subscriptionId, String destination, long roomId, long userId,
            boolean replaying) {
        Subscription subscription = new Subscription(sessionId, subscriptionId, destination, roomId, userId,
                replaying);
        Subscription previous = bySession.computeIfAbsent(sessionId, id -> new ConcurrentHashMap<>())
                .put(subscriptionId, subscription);
        if (previous != null) {
            roomSet(previous.roomId).remove(previous);
        }
        roomSet(roomId).add(subscription);
        return subscription;
    }

    void remove(String sessionId, String subscriptionId) {
        Map<String, Subscription> subscriptions = bySession.get(sessionId);
        Subscription removed = subscriptions == null ? null : subscriptions.remove(subscriptionId);
        if (removed != null) {
            roomSet(removed.roomId).remove(removed);
        }
    }

    void removeSession(String sessionId) {
        Map<String, Subscription> subscriptions = bySession.remove(sessionId);
        if (subscriptions != null) {
            subscriptions.values().forEach(s -> roomSet(s.roomId).remove(s));
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

    /** A message from the fan-out, to every local subscriber of its room. */
    void deliver(MessageView message) {
        Set<Subscription> subscribers = byRoom.get(message.roomId());
        if (subscribers != null) {
            subscribers.forEach(s -> s.live(message));
        }
    }

    int count() {
        return bySession.values().stream().mapToInt(Map::size).sum();
    }

    private Set<Subscription> roomSet(long roomId) {
        return byRoom.computeIfAbsent(roomId, id -> ConcurrentHashMap.newKeySet());
    }

    final class Subscription {

        private final String sessionId;
        private final String subscriptionId;
        private final String destination;
        private final long roomId;
        private final long userId;
        private boolean replaying;
        private final List<MessageView> buffered = new ArrayList<>();
        private final Set<Long> replayed = new HashSet<>();

        private Subscription(String sessionId, String subscriptionId, String destination, long roomId, long userId,
                boolean replaying) {
            this.sessionId = sessionId;
            this.subscriptionId = subscriptionId;
            this.destination = destination;
            this.roomId = roomId;
            this.userId = userId;
            this.replaying = replaying;
        }

        synchronized void replay(MessageView message) {
            replayed.add(message.id());
            send(message);
        }

        /** Replay done: the buffered live messages not already replayed, then live delivery. */
        synchronized void replayFinished() {
            buffered.stream().filter(m -> !replayed.contains(m.id()))
                    .sorted(Comparator.comparingLong(MessageView::id)).forEach(this::send);
            buffered.clear();
            replaying = false;
        }

        synchronized void live(MessageView message) {
            if (replaying) {
                buffered.add(message);
            } else if (!replayed.contains(message.id())) {
                // the check covers a message persisted before the replay read but published only after it
                send(message);
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
