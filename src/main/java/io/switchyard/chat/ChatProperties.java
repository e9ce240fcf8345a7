package io.switchyard.chat;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param maxTextLength    longest message text, in characters
 * @param defaultPageSize  messages per page when the client gives no {@code limit}
 * @param maxPageSize      cap on {@code limit}
 * @param replayBatchSize  messages read from MongoDB per query while replaying for a resuming subscriber
 * @param redisChannel     the pub/sub channel every instance fans messages out through
 * @param drainTimeout     on shutdown, how long connected clients get to act on the reconnect hint before their
 *                         sockets are closed by force
 * @param allowedOrigins   origins allowed to open the WebSocket (browsers); nginx serves the front end
 */
@ConfigurationProperties("switchyard.chat")
public record ChatProperties(
        @DefaultValue("1000") int maxTextLength,
        @DefaultValue("50") int defaultPageSize,
        @DefaultValue("100") int maxPageSize,
        @DefaultValue("200") int replayBatchSize,
        @DefaultValue("switchyard:chat:messages") String redisChannel,
        @DefaultValue("3s") Duration drainTimeout,
        @DefaultValue("*") String[] allowedOrigins) {
}
