package io.switchyard.chat;

import java.time.Instant;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * A stored message. {@code seq} is the server-assigned id, increasing within the room; {@code _id} is derived
 * from room and seq, so a retried insert of the same message cannot store it twice.
 *
 * @param sendKey {@code <roomId>:<senderId>:<message-key>} when the SEND carried a {@code message-key}, else null
 *                and absent from the document (null fields are not written); unique (sparse index), so a resend
 *                with the same key cannot be stored a second time
 */
@Document(ChatMessage.COLLECTION)
record ChatMessage(@Id String id, long roomId, long seq, long senderId, String text, Instant createdAt,
        String sendKey) {

    static final String COLLECTION = "chat_messages";
    static final String SEND_KEY_FIELD = "sendKey";

    static ChatMessage of(long roomId, long seq, long senderId, String text, Instant createdAt, String messageKey) {
        return new ChatMessage(roomId + ":" + seq, roomId, seq, senderId, text, createdAt,
                messageKey == null ? null : sendKey(roomId, senderId, messageKey));
    }

    static String sendKey(long roomId, long senderId, String messageKey) {
        return roomId + ":" + senderId + ":" + messageKey;
    }

    MessageView view() {
        return new MessageView(seq, roomId, senderId, text, createdAt);
    }
}
