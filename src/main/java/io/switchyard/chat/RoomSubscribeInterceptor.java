package io.switchyard.chat;

import io.switchyard.room.RoomService;
import io.switchyard.support.error.ApiException;
import io.switchyard.support.error.ErrorCode;
import java.security.Principal;
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
 * the newest message the client has of this room. The messages after it (at most {@code replay-limit}, the newest)
 * are replayed before live delivery, on the replay pool. A {@code receipt} header is answered once the replay is
 * sent. A refused subscription is reported on {@code /user/queue/errors}; the session stays open.
 */
@Component
class RoomSubscribeInterceptor implements ChannelInterceptor {

    static final String ROOM_PREFIX = "/topic/rooms/";
    static final String LAST_ID_HEADER = "last-id";
    static final String USER_ERRORS = WebSocketConfig.USER_PREFIX + StompFrames.ERRORS_DESTINATION;
    static final String SEND_PREFIX = WebSocketConfig.APP_PREFIX + "/";

    private final RoomService rooms;
    private final RoomSubscriptions subscriptions;
    private final StompFrames frames;

    RoomSubscribeInterceptor(RoomService rooms, RoomSubscriptions subscriptions, StompFrames frames) {
        this.rooms = rooms;
        this.subscriptions = subscriptions;
        this.frames = frames;
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
                refuse(accessor, accessor.getUser(), ErrorCode.UNKNOWN_DESTINATION,
                        "Subscribe to " + ROOM_PREFIX + "{roomId} or " + USER_ERRORS + ".");
                return null;
            }
        } else if (command == StompCommand.SEND && (destination == null || !destination.startsWith(SEND_PREFIX))) {
            refuse(accessor, accessor.getUser(), ErrorCode.UNKNOWN_DESTINATION, "Send to " + SEND_PREFIX + "rooms/{roomId}.");
            return null;
        }
        return message;
    }

    private boolean subscribe(StompHeaderAccessor accessor) {
        String destination = accessor.getDestination();
        Principal user = accessor.getUser();
        Long roomId = roomId(destination);
        if (roomId == null) {
            return refuse(accessor, user, ErrorCode.UNKNOWN_DESTINATION, "Subscribe to /topic/rooms/{roomId}.");
        }
        Long lastId;
        try {
            String header = accessor.getFirstNativeHeader(LAST_ID_HEADER);
            lastId = header == null || header.isBlank() ? null : Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return refuse(accessor, user, ErrorCode.INVALID_LAST_ID, "last-id must be a message id.");
        }
        if (accessor.getSubscriptionId() == null) {
            return refuse(accessor, user, ErrorCode.BAD_FRAME, "SUBSCRIBE needs an id header.");
        }
        long userId = ChatPrincipal.userId(user);
        try {
            rooms.requireMember(roomId, userId);
        } catch (ApiException e) {
            return refuse(accessor, user, e.errorCode(), e.getMessage());
        }
        String sessionId = accessor.getSessionId();
        String receipt = accessor.getReceipt();
        RoomSubscriptions.Subscription subscription = subscriptions.add(sessionId, accessor.getSubscriptionId(),
                destination, roomId, userId);
        // the replay runs on the replay pool: this (inbound) thread goes on with the session's next frame
        subscriptions.resume(subscription, lastId, resumed -> {
            if (resumed.failure() != null) {
                frames.error(sessionId, user.getName(), new ChatError(resumed.failure(),
                        resumed.failure() == ErrorCode.REPLAY_BUSY ? "Too many resumes at once; subscribe again in a moment."
                        : "Could not read the missed messages; subscribe again.", receipt, destination));
            } else if (receipt != null) {
                // after the replay: the client knows it is caught up and live from here on
                frames.subscribed(sessionId, receipt, resumed.firstReplayed());
            }
        });
        return true;
    }

    private boolean refuse(StompHeaderAccessor accessor, Principal user, ErrorCode code, String detail) {
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
