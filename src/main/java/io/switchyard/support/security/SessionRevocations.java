package io.switchyard.support.security;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DataAccessException;
import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.MessageListener;
import org.springframework.data.redis.connection.SubscriptionListener;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

/**
 * Logins that ended (logout, or a refresh-token reuse that revoked the family), told to every instance so that
 * long-lived connections opened with the login's access tokens (chat sockets) end too. Access tokens carry their
 * login as the {@code sid} claim. A revocation is a Redis key that lives as long as an access token can (checked
 * when a socket connects, and for every open socket after the listener resubscribed) plus a pub/sub message
 * (acted on at once); both turn into {@link SessionRevoked} events.
 */
@Component
public class SessionRevocations implements MessageListener, SubscriptionListener {

    static final String CHANNEL = "switchyard:auth:revoked";
    private static final String KEY_PREFIX = "auth:revoked:";
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(1);
    private static final Duration WARN_EVERY = Duration.ofSeconds(10);
    private static final Logger log = LoggerFactory.getLogger(SessionRevocations.class);

    private final StringRedisTemplate redis;
    private final ApplicationEventPublisher events;
    private final JwtProperties jwt;
    private final AtomicLong lastCheckWarning = new AtomicLong(System.nanoTime() - WARN_EVERY.toNanos() - 1);

    SessionRevocations(StringRedisTemplate redis, ApplicationEventPublisher events, JwtProperties jwt) {
        this.redis = redis;
        this.events = events;
        this.jwt = jwt;
    }

    /** Ends the login {@code sid} everywhere. Best effort past the revocation itself: logged, never thrown. */
    public void revoke(String sid) {
        try {
            // past the newest access token of the login, plus the decoder's one-minute clock skew
            redis.opsForValue().set(KEY_PREFIX + sid, "1", jwt.accessTokenTtl().plus(CLOCK_SKEW));
            redis.convertAndSend(CHANNEL, sid);
        } catch (DataAccessException e) {
            log.warn("could not announce the end of a login; its sockets close when their token expires: {}",
                    e.getMessage());
            events.publishEvent(new SessionRevoked(sid));
        }
    }

    /** Which of these logins were revoked; none when Redis cannot say (the socket's token expiry still ends it). */
    public Set<String> revokedAmong(Collection<String> sids) {
        List<String> unique = List.copyOf(new HashSet<>(sids));
        Set<String> revoked = new HashSet<>();
        if (unique.isEmpty()) {
            return revoked;
        }
        try {
            List<String> found = redis.opsForValue().multiGet(unique.stream().map(sid -> KEY_PREFIX + sid).toList());
            for (int i = 0; found != null && i < unique.size(); i++) {
                if (found.get(i) != null) {
                    revoked.add(unique.get(i));
                }
            }
        } catch (DataAccessException e) {
            // every authenticated request asks: one line per interval, not one per request, while Redis is down
            long now = System.nanoTime();
            long last = lastCheckWarning.get();
            if (now - last > WARN_EVERY.toNanos() && lastCheckWarning.compareAndSet(last, now)) {
                log.warn("could not check logins for revocation: {}", e.getMessage());
            }
        }
        return revoked;
    }

    @Override
    public void onMessage(Message message, byte[] pattern) {
        events.publishEvent(new SessionRevoked(new String(message.getBody(), StandardCharsets.UTF_8)));
    }

    /** (Re)subscribed: revocations published meanwhile were missed; listeners re-check what they hold. */
    @Override
    public void onChannelSubscribed(byte[] channel, long count) {
        events.publishEvent(new SessionRevocationsResubscribed());
    }

    /** A login ended; {@code sid} is the access tokens' {@code sid} claim. */
    public record SessionRevoked(String sid) {
    }

    /** The revocation listener (re)subscribed: check open connections with {@link #revokedAmong}. */
    public record SessionRevocationsResubscribed() {
    }
}
