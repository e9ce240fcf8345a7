package io.switchyard.chat;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
import org.springframework.web.util.UriComponentsBuilder;

/**
 * The open chat sockets of this instance, and their drain.
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
    private final RoomSubscriptions subscriptions;
    private final StompFrames frames;
    private final ChatProperties properties;
    private volatile boolean draining;

    ChatSessions(RoomSubscriptions subscriptions, StompFrames frames, ChatProperties properties) {
        this.subscriptions = subscriptions;
        this.frames = frames;
        this.properties = properties;
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
        String token = UriComponentsBuilder.fromUri(request.getURI()).build().getQueryParams()
                .getFirst("access_token");
        if (token != null) {
            attributes.put(StompAuthInterceptor.TOKEN_ATTRIBUTE, token);
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
        try {
            session.close(CloseStatus.SERVICE_RESTARTED);
        } catch (IOException alreadyGone) {
            // the client left on its own
        }
    }
}
