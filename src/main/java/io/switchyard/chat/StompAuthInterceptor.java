package io.switchyard.chat;

import io.switchyard.support.error.ErrorCode;
import io.switchyard.support.security.AccessTokens;
import io.switchyard.support.security.SessionRevocations;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
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
 * {@code /ws} is open at the HTTP level: the STOMP CONNECT frame carries the access token in its
 * {@code Authorization: Bearer ...} header, never the URL (which nginx logs). Validated by the same JwtDecoder as
 * the REST API, then strictly against its expiry (the decoder allows clock skew; a session must not start on a
 * token it would have to end at once) and against revoked logins. The session ends when the token does.
 */
@Component
class StompAuthInterceptor implements ChannelInterceptor {

    private static final Logger log = LoggerFactory.getLogger(StompAuthInterceptor.class);
    private static final String BEARER = "Bearer ";

    private final JwtDecoder jwtDecoder;
    private final ChatSessions sessions;
    private final StompFrames frames;
    private final SessionRevocations revocations;
    private final Clock clock;

    StompAuthInterceptor(JwtDecoder jwtDecoder, ChatSessions sessions, StompFrames frames,
            SessionRevocations revocations, Clock clock) {
        this.jwtDecoder = jwtDecoder;
        this.sessions = sessions;
        this.frames = frames;
        this.revocations = revocations;
        this.clock = clock;
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
                    throw new ChatRejection(ErrorCode.SERVER_RESTART, "This instance is shutting down: connect again.", true);
                }
                ChatPrincipal principal = authenticate(accessor);
                accessor.setUser(principal);
                sessions.authenticated(accessor.getSessionId(), principal);
            } else if ((command == StompCommand.SEND || command == StompCommand.SUBSCRIBE)
                    && accessor.getUser() == null) {
                throw new ChatRejection(ErrorCode.UNAUTHORIZED, "CONNECT with an access token first.");
            }
            return message;
        } catch (ChatRejection rejection) {
            // Answered here rather than thrown: with ordered receive, Spring would only log a thrown exception.
            // The ERROR frame makes Spring close the socket right after sending it.
            frames.send(accessor.getSessionId(), frames.fatal(rejection.code(), rejection.getMessage(),
                    rejection.reconnect(), rejection.code() == ErrorCode.TOKEN_EXPIRED, accessor.getSessionId()));
            return null;
        }
    }

    private ChatPrincipal authenticate(StompHeaderAccessor accessor) {
        String token = tokenFrom(accessor);
        if (token == null) {
            throw new ChatRejection(ErrorCode.UNAUTHORIZED,
                    "An access token is required in the CONNECT frame: Authorization: Bearer <token>.");
        }
        Jwt jwt;
        long userId;
        try {
            jwt = jwtDecoder.decode(token);
            userId = Long.parseLong(jwt.getSubject());
        } catch (JwtException | NumberFormatException e) {
            log.info("rejected access token on STOMP CONNECT: {}", e.getMessage());
            throw new ChatRejection(ErrorCode.INVALID_TOKEN, "Access token is invalid or expired.");
        }
        Instant expiresAt = jwt.getExpiresAt();
        if (expiresAt == null || !expiresAt.isAfter(clock.instant())) {
            throw new ChatRejection(ErrorCode.TOKEN_EXPIRED, "The access token expired: refresh it, then connect.",
                    true);
        }
        String sid = jwt.getClaimAsString(AccessTokens.SESSION_CLAIM);
        if (sid != null && !revocations.revokedAmong(List.of(sid)).isEmpty()) {
            throw new ChatRejection(ErrorCode.SESSION_REVOKED, "This login was signed out; sign in again.");
        }
        return new ChatPrincipal(userId, sid, expiresAt);
    }

    private static String tokenFrom(StompHeaderAccessor accessor) {
        String header = accessor.getFirstNativeHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            String token = header.substring(BEARER.length()).trim();
            return token.isEmpty() ? null : token;
        }
        return null;
    }
}
