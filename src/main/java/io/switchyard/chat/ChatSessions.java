package io.switchyard.chat;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
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
 * <p>On shutdown (the context-closed event, which comes before the web server's graceful shutdown) the instance
 * refuses new handshakes (503) and CONNECTs, sends every connected client a STOMP ERROR with
 * {@code reconnect: true}, waits up to the drain timeout for the sockets to close, then closes the rest with
 * status 1012 (service restart). Clients reconnect, land on the other color through nginx, and resume.
 */
@Component
class ChatSessions implements HandshakeInterceptor, WebSocketHandlerDecoratorFactory,
        ApplicationListener<ContextClosedEvent> {

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

    @Override
    public void onApplicationEvent(ContextClosedEvent event) {
        if (event.getApplicationContext().getParent() == null) {
            drain();
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
