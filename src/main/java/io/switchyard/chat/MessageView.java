package io.switchyard.chat;

import java.time.Instant;

/**
 * A message as clients see it, over REST, STOMP and the Redis fan-out alike.
 *
 * @param id the server-assigned id: increasing within {@code roomId}, the cursor for paging and resuming
 */
public record MessageView(long id, long roomId, long senderId, String text, Instant createdAt) {
}
