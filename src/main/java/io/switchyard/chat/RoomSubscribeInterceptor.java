package io.switchyard.chat;

import io.switchyard.room.RoomService;
import io.switchyard.support.error.ApiException;
import java.security.Principal;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageChannel;
import org.springframework.messaging.simp.stomp.StompCommand;
import org.springframework.messaging.simp.stomp.StompHeaderAccessor;
import org.springframework.messaging.support.ChannelInterceptor;
import org.springframework.messaging.support.MessageHeaderAccessor;
import org.springframework.stereotype.Component;

/**
 * Which destinations clients may use: SEND only to {@code /app/...}, SUBSCRIBE only to rooms and their own
 * {@code /user/queue/errors}.
 *
 * <p>SUBSCRIBE to {@code /topic/rooms/{roomId}} (members only), optionally with a {@code last-id} header: the id of
 * the newest message the client has of this room. The messages after it are replayed before live delivery.
 * A {@code receipt} header is answered once the replay is sent. A refused subscription is reported on
 * {@code /user/queue/errors}; the session stays open.
 */
@Component
class RoomSubscribeInterceptor implements ChannelInterceptor {

    private static final Logger log = LoggerFactory.getLogger(RoomSubscribeInterceptor.class);
    static final String ROOM_PREFIX = "/topic/rooms/";
    static final String LAST_ID_HEADER = "last-id";
    static final String USER_ERRORS = "/user" + StompFrames.ERRORS_DESTINATION;
    static final String SEND_PREFIX = "/app/";

    private final RoomService rooms;
    private final MessageStore store;
    private final RoomSubscriptions subscriptions;
    private final StompFrames frames;
    private final ChatProperties properties;

    RoomSubscribeInterceptor(RoomService rooms, MessageStore store, RoomSubscriptions subscriptions,
            StompFrames frames, ChatProperties properties) {
        this.rooms = rooms;
        this.store = store;
        this.subscriptions = subscriptions;
        this.frames = frames;
        this.properties = properties;
    }

    @Override
    public Message<?> preSend(Message<?> message, MessageChannel channel) {
        StompHeaderAccessor accessor = MessageHeaderAccessor.getAccessor(message, StompHeaderAccessor.class);
        if (accessor == null || accessor.getCommand() == null) {
            return message;
        }
        StompCommand command = accessor.getCommand();
        String destination = accessor.getDestination();
        if (command == StompCommand.UNSUBSCRIBE) {
            subscriptions.remove(accessor.getSessionId(), accessor.getSubscriptionId());
        } else if (command == StompCommand.SUBSCRIBE) {
            if (destination != null && destination.startsWith(ROOM_PREFIX)) {
                return subscribe(accessor) ? message : null;
            }
            if (!USER_ERRORS.equals(destination)) {
                // the broker's own destinations (another session's error queue) are not for clients
                refuse(accessor, accessor.getUser(), "unknown-destination",
                        "Subscribe to " + ROOM_PREFIX + "{roomId} or " + USER_ERRORS + ".");
                return null;
            }
        } else if (command == StompCommand.SEND && (destination == null || !destination.startsWith(SEND_PREFIX))) {
            refuse(accessor, accessor.getUser(), "unknown-destination", "Send to " + SEND_PREFIX + "rooms/{roomId}.");
            return null;
        }
        return message;
    }

    private boolean subscribe(StompHeaderAccessor accessor) {
        String destination = accessor.getDestination();
        Principal user = accessor.getUser();
        Long roomId = roomId(destination);
        if (roomId == null) {
            return refuse(accessor, user, "unknown-destination", "Subscribe to /topic/rooms/{roomId}.");
        }
        Long lastId;
        try {
            String header = accessor.getFirstNativeHeader(LAST_ID_HEADER);
            lastId = header == null || header.isBlank() ? null : Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return refuse(accessor, user, "invalid-last-id", "last-id must be a message id.");
        }
        if (accessor.getSubscriptionId() == null) {
            return refuse(accessor, user, "bad-frame", "SUBSCRIBE needs an id header.");
        }
        long userId = ChatPrincipal.userId(user);
        try {
            rooms.requireMember(roomId, userId);
        } catch (ApiException e) {
            return refuse(accessor, user, e.code(), e.getMessage());
        }
        RoomSubscriptions.Subscription subscription = subscriptions.add(accessor.getSessionId(),
                accessor.getSubscriptionId(), destination, roomId, userId, lastId != null);
        if (lastId != null) {
            try {
                replay(subscription, roomId, Math.max(lastId, 0));
            } catch (DataAccessException storeDown) {
                // a partial replay must not turn into a live subscription with a hole in it
                subscriptions.remove(accessor.getSessionId(), accessor.getSubscriptionId());
                log.warn("replay for room {} failed, subscription refused: {}", roomId, storeDown.getMessage());
                return refuse(accessor, user, "replay-failed", "Could not read the missed messages; subscribe again.");
            } finally {
                subscription.replayFinished();
            }
        }
        if (accessor.getReceipt() != null) {
            // after the replay: the client knows it is caught up and live from here on
            frames.receipt(accessor.getSessionId(), accessor.getReceipt(), null);
        }
        return true;
    }

    private void replay(RoomSubscriptions.Subscription subscription, long roomId, long lastId) {
        long cursor = lastId;
        int batch = properties.replayBatchSize();
        while (true) {
            List<MessageView> missed = store.after(roomId, cursor, batch);
            missed.forEach(subscription::replay);
            if (missed.size() < batch) {
                return;
            }
            cursor = missed.get(missed.size() - 1).id();
        }
    }

    private boolean refuse(StompHeaderAccessor accessor, Principal user, String code, String detail) {
        frames.error(accessor.getSessionId(), user.getName(),
                new ChatError(code, detail, accessor.getReceipt(), accessor.getDestination()));
        return false;
    }

    static Long roomId(String destination) {
        if (!destination.startsWith(ROOM_PREFIX)) {
            return null;
        }
        try {
            long id = Long.parseLong(destination.substring(ROOM_PREFIX.length()));
            return id > 0 ? id : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
