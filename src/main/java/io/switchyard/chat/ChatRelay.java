package io.switchyard.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.room.RoomLeft;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.dao.DataAccessException;
import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.MessageListener;
import org.springframework.data.redis.connection.SubscriptionListener;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * The fan-out: a persisted message is published on one Redis channel, and every instance (this one included)
 * hands what it receives there to its local subscribers. Redis pub/sub is only the fast path: whatever it loses
 * (a failed publish, messages sent while the listener reconnected) is in MongoDB, and subscriptions catch up from
 * there (see {@link RoomSubscriptions}). If Redis cannot take the publish, this instance delivers locally; other
 * instances fill the gap with the room's next message, or by their sweep in a quiet room. Each time the listener
 * has (re)subscribed, every local subscription is checked against its room's newest id.
 */
@Component
class ChatRelay implements MessageListener, SubscriptionListener, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ChatRelay.class);

    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final RoomSubscriptions subscriptions;
    private final String channel;
    private final String membershipChannel;
    private final AtomicBoolean publishFailing = new AtomicBoolean();
    /**
     * Runs the listener for the Redis container, one message at a time: Redis delivers a channel's messages in
     * publish order, and the container's default executor (a thread per message) would reorder them.
     */
    private final ExecutorService dispatcher = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "chat-fanout");
        thread.setDaemon(true);
        return thread;
    });

    private final TaskScheduler scheduler;
    private final Counter publishFailures;
    private final Counter resubscribes;

    ChatRelay(StringRedisTemplate redis, ObjectMapper json, RoomSubscriptions subscriptions,
            ChatProperties properties, @Qualifier("chatScheduler") TaskScheduler scheduler, MeterRegistry meters) {
        this.redis = redis;
        this.scheduler = scheduler;
        this.publishFailures = Counter.builder("switchyard.chat.publish.failures")
                .description("messages Redis did not take for the fan-out (delivered locally, caught up elsewhere)")
                .register(meters);
        this.resubscribes = Counter.builder("switchyard.chat.fanout.subscriptions")
                .description("times the fan-out listener subscribed (startup and every reconnect)")
                .register(meters);
        this.json = json;
        this.subscriptions = subscriptions;
        this.channel = properties.redisChannel();
        this.membershipChannel = properties.redisChannel() + ":left";
    }

    Executor dispatcher() {
        return dispatcher;
    }

    @Override
    public void destroy() {
        dispatcher.shutdown();
    }

    String channel() {
        return channel;
    }

    String membershipChannel() {
        return membershipChannel;
    }

    /** Tells every instance to stop delivering the room to the user who left (after the leave is committed). */
    @TransactionalEventListener(fallbackExecution = true)
    void onRoomLeft(RoomLeft left) {
        try {
            redis.convertAndSend(membershipChannel, json.writeValueAsString(left));
        } catch (DataAccessException | IOException e) {
            log.warn("could not fan out that user {} left room {}; stopping delivery here only: {}",
                    left.userId(), left.roomId(), e.getMessage());
            subscriptions.removeMember(left.roomId(), left.userId());
        }
    }

    void publish(MessageView message) {
        try {
            redis.convertAndSend(channel, json.writeValueAsString(message));
            if (publishFailing.compareAndSet(true, false)) {
                log.info("Redis publish works again: chat fan-out restored");
            }
        } catch (DataAccessException | IOException e) {
            publishFailures.increment();
            if (publishFailing.compareAndSet(false, true)) {
                log.warn("Redis publish failed, delivering to this instance's subscribers only: {}", e.getMessage());
            }
            subscriptions.deliver(message);
        }
    }

    /** Subscribed again after a Redis restart or a broken connection: catch up on what was published meanwhile. */
    @Override
    public void onChannelSubscribed(byte[] subscribed, long count) {
        if (channel.equals(new String(subscribed, StandardCharsets.UTF_8))) {
            resubscribes.increment();
            log.info("chat fan-out subscribed to {}: checking every local subscription for missed messages", channel);
            // not on Redis' I/O thread: the sweep reads MongoDB
            scheduler.schedule(() -> subscriptions.sweep(true), java.time.Instant.now());
        }
    }

    @Override
    public void onMessage(Message message, byte[] pattern) {
        try {
            if (membershipChannel.equals(new String(message.getChannel(), StandardCharsets.UTF_8))) {
                RoomLeft left = json.readValue(message.getBody(), RoomLeft.class);
                subscriptions.removeMember(left.roomId(), left.userId());
                return;
            }
            subscriptions.deliver(json.readValue(message.getBody(), MessageView.class));
        } catch (IOException malformed) {
            log.warn("ignoring unreadable message on {}: {}", channel, malformed.getMessage());
        }
    }
}
