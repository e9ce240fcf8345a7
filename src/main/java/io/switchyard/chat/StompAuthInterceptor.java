package io.switchyard.chat;

import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageChannel;
import org.springframework.messaging.simp.stomp.StompCommand;
import org.springframework.messaging.simp.stomp.StompHeaderAccessor;
import org.springframework.messaging.support.ChannelInterceptor;
import org.springframework.messaging.support.MessageHeaderAccessor;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.stereotype.Component;

/**
 * {@code /ws} is open at the HTTP level: the STOMP CONNECT frame carries the access token, in its
 * {@code Authorization: Bearer ...} header or, for browsers that cannot set headers on the handshake, as the
 * {@code access_token} query parameter of {@code /ws}. Validated by the same JwtDecoder as the REST API.
 */
@Component
class StompAuthInterceptor implements ChannelInterceptor {

    static final String TOKEN_ATTRIBUTE = "switchyard.accessToken";
    private static final Logger log = LoggerFactory.getLogger(StompAuthInterceptor.class);
    private static final String BEARER = "Bearer ";

    private final JwtDecoder jwtDecoder;
    private final ChatSessions sessions;
    private final StompFrames frames;

    StompAuthInterceptor(JwtDecoder jwtDecoder, ChatSessions sessions, StompFrames frames) {
        this.jwtDecoder = jwtDecoder;
        this.sessions = sessions;
        this.frames = frames;
    }

    @Override
    public Message<?> preSend(Message<?> message, MessageChannel channel) {
        StompHeaderAccessor accessor = MessageHeaderAccessor.getAccessor(message, StompHeaderAccessor.class);
        if (accessor == null || accessor.getCommand() == null) {
            return message;
        }
        StompCommand command = accessor.getCommand();
        try {
            if (command == StompCommand.CONNECT || command == StompCommand.STOMP) {
                if (sessions.draining()) {
                    throw new ChatRejection("server-restart", "This instance is shutting down: connect again.", true);
                }
                accessor.setUser(authenticate(accessor));
            } else if ((command == StompCommand.SEND || command == StompCommand.SUBSCRIBE)
                    && accessor.getUser() == null) {
                throw new ChatRejection("unauthorized", "CONNECT with an access token first.");
            }
            return message;
        } catch (ChatRejection rejection) {
            // Answered here rather than thrown: with ordered receive, Spring would only log a thrown exception.
            // The ERROR frame makes Spring close the socket right after sending it.
            frames.send(accessor.getSessionId(), frames.fatal(rejection.code(), rejection.getMessage(),
                    rejection.reconnect(), accessor.getSessionId()));
            return null;
        }
    }

    private ChatPrincipal authenticate(StompHeaderAccessor accessor) {
        String token = tokenFrom(accessor);
        if (token == null) {
            throw new ChatRejection("unauthorized", "An access token is required.");
        }
        try {
            Jwt jwt = jwtDecoder.decode(token);
            return new ChatPrincipal(Long.parseLong(jwt.getSubject()));
        } catch (JwtException | NumberFormatException e) {
            log.info("rejected access token on STOMP CONNECT: {}", e.getMessage());
            throw new ChatRejection("invalid-token", "Access token is invalid or expired.");
        }
    }

    private static String tokenFrom(StompHeaderAccessor accessor) {
        String header = accessor.getFirstNativeHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return header.substring(BEARER.length()).trim();
        }
        Map<String, Object> attributes = accessor.getSessionAttributes();
        Object fromQuery = attributes == null ? null : attributes.get(TOKEN_ATTRIBUTE);
        return fromQuery instanceof String value && !value.isBlank() ? value : null;
    }
}
