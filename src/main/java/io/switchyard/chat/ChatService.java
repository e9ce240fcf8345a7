package io.switchyard.chat;

import io.switchyard.room.RoomService;
import io.switchyard.support.error.ApiException;
import io.switchyard.support.error.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.stereotype.Service;

/**
 * Sending: membership, then MongoDB, then the fan-out. A message is never published before it is stored, and
 * published only by the SEND that stored it: a resend with the same {@code message-key} is answered with the
 * stored message and not delivered again.
 */
@Service
class ChatService {

    private static final Logger log = LoggerFactory.getLogger(ChatService.class);

    private final RoomService rooms;
    private final MessageStore store;
    private final ChatRelay relay;
    private final ChatProperties properties;

    ChatService(RoomService rooms, MessageStore store, ChatRelay relay, ChatProperties properties) {
        this.rooms = rooms;
        this.store = store;
        this.relay = relay;
        this.properties = properties;
    }

    /** {@code rawKey}: the SEND's {@code message-key} header, null when it has none. */
    MessageView send(long roomId, long senderId, String rawText, String rawKey) {
        String key = MessageKey.valid(rawKey);
        String text = validText(rawText);
        rooms.requireMember(roomId, senderId);
        MessageStore.Appended appended = store.append(roomId, senderId, text, key);
        if (appended.created()) {
            relay.publish(appended.message());
            markSent(appended.message());
        } else {
            log.info("resend of message {} in room {} by user {} (same message-key): not stored again",
                    appended.message().id(), roomId, senderId);
        }
        return appended.message();
    }

    MessagePage page(long roomId, long userId, Long before, Long after, Integer limit) {
        int size = limit == null ? properties.defaultPageSize() : limit;
        if (size < 1) {
            throw new ApiException(ErrorCode.INVALID_LIMIT, "limit must be at least 1.");
        }
        if ((before != null && before < 0) || (after != null && after < 0)) {
            throw new ApiException(ErrorCode.INVALID_CURSOR, "Cursors are non-negative ids.");
        }
        rooms.requireMember(roomId, userId);
        return store.page(roomId, before, after, Math.min(size, properties.maxPageSize()));
    }

    /** Marks up to {@code readId}, or up to the newest message when none is given. */
    ReadMarkerResponse markRead(long roomId, long userId, Long readId) {
        rooms.requireMember(roomId, userId);
        long newest = store.newestId(roomId);
        long target = readId == null ? newest : Math.min(Math.max(readId, 0), newest);
        long marker = rooms.markRead(roomId, userId, target);
        Unread unread = Unread.between(marker, newest);
        return new ReadMarkerResponse(roomId, marker, unread.count(), unread.capped());
    }

    /** The sender has seen the room up to their own message; a failure here must not fail the stored SEND. */
    private void markSent(MessageView message) {
        try {
            rooms.markSent(message.roomId(), message.senderId(), message.id());
        } catch (DataAccessException e) {
            log.warn("could not move the read marker of user {} in room {} to their message {}: {}",
                    message.senderId(), message.roomId(), message.id(), e.getMessage());
        }
    }

    private String validText(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new ApiException(ErrorCode.EMPTY_MESSAGE, "A message needs some text.");
        }
        if (raw.length() > properties.maxTextLength()) {
            throw new ApiException(ErrorCode.MESSAGE_TOO_LONG,
                    "A message has at most " + properties.maxTextLength() + " characters.");
        }
        return raw;
    }
}
