package io.switchyard.chat;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import io.switchyard.support.security.SessionRevocations;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.TaskScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationListener;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.WebSocketHandlerDecorator;
import org.springframework.web.socket.handler.WebSocketHandlerDecoratorFactory;
import org.springframework.web.socket.server.HandshakeInterceptor;

/**
 * The open chat sockets of this instance: their end when the access token expires or the login is revoked (on any
 * instance), and their drain.
 *
 * <p>A session ends with a STOMP ERROR ({@code token-expired}: refresh, reconnect, resume; {@code session-revoked}:
 * sign in again), after which Spring closes the socket; one still open {@code drain-timeout} later is closed.
 *
 * <p>On shutdown (readiness turning to REFUSING_TRAFFIC as the context closes, before the web server's graceful
 * shutdown) the instance refuses new handshakes (503) and CONNECTs, sends every connected client a STOMP ERROR with
 * {@code reconnect: true}, waits up to the drain timeout for the sockets to close, then closes the rest with
 * status 1012 (service restart). Clients reconnect, land on the other color through nginx, and resume.
 */
@Component
class ChatSessions implements HandshakeInterceptor, WebSocketHandlerDecoratorFactory,
        ApplicationListener<AvailabilityChangeEvent<?>> {

    private static final Logger log = LoggerFactory.getLogger(ChatSessions.class);

    private final Map<String, WebSocketSession> open = new ConcurrentHashMap<>();
    private final Map<String, Authenticated> authenticated = new ConcurrentHashMap<>();
    private final RoomSubscriptions subscriptions;
    private final StompFrames frames;
    private final ChatProperties properties;
    private final TaskScheduler scheduler;
    private final SessionRevocations revocations;
    private volatile boolean draining;

    ChatSessions(RoomSubscriptions subscriptions, StompFrames frames, ChatProperties properties,
            @Qualifier("chatScheduler") TaskScheduler scheduler, SessionRevocations revocations) {
        this.subscriptions = subscriptions;
        this.frames = frames;
        this.properties = properties;
        this.scheduler = scheduler;
        this.revocations = revocations;
    }

    private record Authenticated(ChatPrincipal principal, ScheduledFuture<?> expiry) {
    }

    /** CONNECT accepted: the session ends when its token expires. */
    void authenticated(String sessionId, ChatPrincipal principal) {
        ScheduledFuture<?> expiry = scheduler.schedule(() -> end(sessionId, false), principal.expiresAt());
        Authenticated previous = authenticated.put(sessionId, new Authenticated(principal, expiry));
        if (previous != null) {
            previous.expiry().cancel(false);
        }
    }

    /** Logged out or revoked on some instance: this instance's sessions of that login end. */
    @EventListener
    void onRevoked(SessionRevocations.SessionRevoked revoked) {
        authenticated.forEach((sessionId, session) -> {
            if (revoked.sid().equals(session.principal().sid())) {
                end(sessionId, true);
            }
        });
    }

    /** Revocations may have been missed while the listener was away: check every open login (one Redis call). */
    @EventListener
    void onRevocationsResubscribed(SessionRevocations.SessionRevocationsResubscribed resubscribed) {
        // not on Redis' I/O thread: the check is a Redis call itself
        scheduler.schedule(() -> {
            Map<String, String> sids = new java.util.HashMap<>();
            authenticated.forEach((sessionId, session) -> {
                if (session.principal().sid() != null) {
                    sids.put(sessionId, session.principal().sid());
                }
            });
            var revoked = revocations.revokedAmong(sids.values());
            sids.forEach((sessionId, sid) -> {
                if (revoked.contains(sid)) {
                    end(sessionId, true);
                }
            });
        }, java.time.Instant.now());
    }

    private void end(String sessionId, boolean revoked) {
        if (authenticated.remove(sessionId) == null || !open.containsKey(sessionId)) {
            return;
        }
        log.info("ending chat session {}: {}", sessionId, revoked ? "login revoked" : "access token expired");
        if (revoked) {
            frames.sessionRevoked(sessionId);
        } else {
            frames.tokenExpired(sessionId);
        }
        scheduler.schedule(() -> {
            WebSocketSession session = open.get(sessionId);
            if (session != null) {
                closeQuietly(session, CloseStatus.POLICY_VIOLATION);
            }
        }, java.time.Instant.now().plus(properties.drainTimeout()));
    }

    boolean draining() {
        return draining;
    }

    int openCount() {
        return open.size();
    }

    @Override
    public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
            Map<String, Object> attributes) {
        if (draining) {
            response.setStatusCode(HttpStatus.SERVICE_UNAVAILABLE);
            return false;
        }
        return true;
    }

    @Override
    public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
            Exception exception) {
        // nothing to do
    }

    @Override
    public WebSocketHandler decorate(WebSocketHandler handler) {
        return new WebSocketHandlerDecorator(handler) {
            @Override
            public void afterConnectionEstablished(WebSocketSession session) throws Exception {
                open.put(session.getId(), session);
                super.afterConnectionEstablished(session);
            }

            @Override
            public void afterConnectionClosed(WebSocketSession session, CloseStatus status) throws Exception {
                open.remove(session.getId());
                Authenticated ended = authenticated.remove(session.getId());
                if (ended != null) {
                    ended.expiry().cancel(false);
                }
                subscriptions.removeSession(session.getId());
                super.afterConnectionClosed(session, status);
            }
        };
    }

    /**
     * Readiness going to REFUSING_TRAFFIC starts the drain. Boot's web application context publishes it first
     * thing when it closes (ReadinessOnShutdown does too), before the lifecycle stop that runs the web server's
     * graceful shutdown: the drain is over before HTTP draining starts, and reconnecting clients are not routed
     * back here by a readiness-aware balancer.
     */
    @Override
    public void onApplicationEvent(AvailabilityChangeEvent<?> event) {
        if (event.getState() == ReadinessState.REFUSING_TRAFFIC) {
            drain();
        } else if (event.getState() == ReadinessState.ACCEPTING_TRAFFIC) {
            draining = false;
        }
    }

    void drain() {
        draining = true;
        if (open.isEmpty()) {
            return;
        }
        log.info("draining {} chat sessions: sending the reconnect hint", open.size());
        open.keySet().forEach(frames::reconnectHint);
        long deadline = System.nanoTime() + properties.drainTimeout().toNanos();
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        open.values().forEach(ChatSessions::closeForRestart);
        log.info("chat sessions drained");
    }

    private static void closeForRestart(WebSocketSession session) {
        closeQuietly(session, CloseStatus.SERVICE_RESTARTED);
    }

    private static void closeQuietly(WebSocketSession session, CloseStatus status) {
        try {
            session.close(status);
        } catch (IOException alreadyGone) {
            // the client left on its own
        }
    }
}
