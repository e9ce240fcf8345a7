package io.switchyard.chat;

import java.time.Instant;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * A stored message. {@code seq} is the server-assigned id, increasing within the room; {@code _id} is derived
 * from room and seq, so a retried insert of the same message cannot store it twice.
 */
@Document(ChatMessage.COLLECTION)
record ChatMessage(@Id String id, long roomId, long seq, long senderId, String text, Instant createdAt) {

    static final String COLLECTION = "chat_messages";

    static ChatMessage of(long roomId, long seq, long senderId, String text, Instant createdAt) {
        return new ChatMessage(roomId + ":" + seq, roomId, seq, senderId, text, createdAt);
    }

    MessageView view() {
        return new MessageView(seq, roomId, senderId, text, createdAt);
    }
}
