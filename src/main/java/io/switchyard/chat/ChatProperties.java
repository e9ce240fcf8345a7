package io.switchyard.chat;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param maxTextLength    longest message text, in characters
 * @param defaultPageSize  messages per page when the client gives no {@code limit}
 * @param maxPageSize      cap on {@code limit}
 * @param replayBatchSize  messages read from MongoDB per query while replaying or filling a gap
 * @param replayLimit      at most this many messages are replayed on a resume: the newest ones; the client pages
 *                         the older ones over REST (docs/chat.md)
 * @param replayThreads    threads that read MongoDB for resumes and gap fills (never the inbound channel's)
 * @param replayQueue      resumes and gap fills waiting for a replay thread; beyond it a resume is refused
 *                         ({@code replay-busy}) and a gap fill retried later
 * @param catchUpInterval  how often every local subscription is compared with its room's newest id; a message
 *                         whose fan-out was lost reaches quiet rooms within about two intervals
 * @param gapWait          a missing id below a message younger than this is waited for (a release before
 *                         contiguous ids may still be storing it); older holes are ids that were never stored
 * @param heartbeat        STOMP heart-beat the server offers both ways (0: none); nginx's /ws timeouts are
 *                         set from it
 * @param redisChannel     the pub/sub channel every instance fans messages out through
 * @param drainTimeout     on shutdown, how long connected clients get to act on the reconnect hint before their
 *                         sockets are closed by force; also the grace after an ERROR that ends a session
 * @param allowedOrigins   origins allowed to open the WebSocket (browsers); nginx serves the front end
 */
@ConfigurationProperties("switchyard.chat")
public record ChatProperties(
        @DefaultValue("1000") int maxTextLength,
        @DefaultValue("50") int defaultPageSize,
        @DefaultValue("100") int maxPageSize,
        @DefaultValue("200") int replayBatchSize,
        @DefaultValue("500") int replayLimit,
        @DefaultValue("4") int replayThreads,
        @DefaultValue("10000") int replayQueue,
        @DefaultValue("1s") Duration catchUpInterval,
        @DefaultValue("1s") Duration gapWait,
        @DefaultValue("10s") Duration heartbeat,
        @DefaultValue("switchyard:chat:messages") String redisChannel,
        @DefaultValue("3s") Duration drainTimeout,
        @DefaultValue("*") String[] allowedOrigins) {
}
