package io.switchyard.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.support.error.ErrorCode;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.messaging.Message;
import org.springframework.messaging.simp.SimpMessageHeaderAccessor;
import org.springframework.messaging.simp.SimpMessageType;
import org.springframework.messaging.simp.SimpMessagingTemplate;
import org.springframework.messaging.simp.stomp.StompCommand;
import org.springframework.messaging.simp.stomp.StompHeaderAccessor;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.stereotype.Component;
import org.springframework.util.MimeTypeUtils;

/** The frames the server sends on its own: receipts, per-session errors and the drain's reconnect hint. */
@Component
class StompFrames {

    static final String MESSAGE_ID_HEADER = "message-id";
    static final String RECONNECT_HEADER = "reconnect";
    static final String CODE_HEADER = "code";
    static final String REFRESH_HEADER = "refresh";
    static final String REPLAY_TRUNCATED_HEADER = "replay-truncated";
    static final String REPLAY_FIRST_ID_HEADER = "replay-first-id";
    static final String ERRORS_DESTINATION = WebSocketConfig.BROKER_PREFIX + "/errors";

    private final ClientChannel client;
    private final ObjectProvider<SimpMessagingTemplate> template;
    private final ObjectMapper json;

    StompFrames(ClientChannel client, ObjectProvider<SimpMessagingTemplate> template, ObjectMapper json) {
        this.client = client;
        this.template = template;
        this.json = json;
    }

    /** RECEIPT for a SEND, after the message is stored: {@code receipt-id} plus the message's {@code message-id}. */
    void receipt(String sessionId, String receiptId, Long messageId) {
        StompHeaderAccessor headers = StompHeaderAccessor.create(StompCommand.RECEIPT);
        headers.setSessionId(sessionId);
        headers.setReceiptId(receiptId);
        if (messageId != null) {
            headers.setNativeHeader(MESSAGE_ID_HEADER, Long.toString(messageId));
        }
        headers.setLeaveMutable(true);
        client.send(sessionId, MessageBuilder.createMessage(new byte[0], headers.getMessageHeaders()));
    }

    /**
     * RECEIPT for a room SUBSCRIBE, after its replay. When the replay was cut to the newest messages it names the
     * first one sent ({@code replay-first-id}, with {@code replay-truncated: true}): the client pages the older
     * ones with {@code GET /api/rooms/{id}/messages?after=<its last-id>&before=<replay-first-id>}.
     */
    void subscribed(String sessionId, String receiptId, Long firstReplayed) {
        StompHeaderAccessor headers = StompHeaderAccessor.create(StompCommand.RECEIPT);
        headers.setSessionId(sessionId);
        headers.setReceiptId(receiptId);
        if (firstReplayed != null) {
            headers.setNativeHeader(REPLAY_TRUNCATED_HEADER, "true");
            headers.setNativeHeader(REPLAY_FIRST_ID_HEADER, Long.toString(firstReplayed));
        }
        headers.setLeaveMutable(true);
        client.send(sessionId, MessageBuilder.createMessage(new byte[0], headers.getMessageHeaders()));
    }

    /** A non-fatal error to one session's {@code /user/queue/errors} subscription. */
    void error(String sessionId, String userName, ChatError error) {
        SimpMessageHeaderAccessor headers = SimpMessageHeaderAccessor.create(SimpMessageType.MESSAGE);
        headers.setSessionId(sessionId);
        headers.setLeaveMutable(true);
        template.getObject().convertAndSendToUser(userName, ERRORS_DESTINATION, error, headers.getMessageHeaders());
    }

    /** The drain's hint: STOMP ERROR with {@code reconnect: true}; Spring closes the socket right after it. */
    void reconnectHint(String sessionId) {
        client.send(sessionId, fatal(ErrorCode.SERVER_RESTART, "This instance is shutting down: reconnect and resume.", true,
                sessionId));
    }

    /**
     * The end of a session whose access token expired: STOMP ERROR {@code token-expired} with {@code reconnect: true}
     * and {@code refresh: true}: refresh the access token, then reconnect and resume.
     */
    void tokenExpired(String sessionId) {
        client.send(sessionId, fatal(ErrorCode.TOKEN_EXPIRED, "The access token expired: refresh it, then reconnect and resume.",
                true, true, sessionId));
    }

    /** The end of a session whose login was logged out or revoked: {@code session-revoked}, sign in again. */
    void sessionRevoked(String sessionId) {
        client.send(sessionId, fatal(ErrorCode.SESSION_REVOKED, "This login was signed out; sign in again.", false, false,
                sessionId));
    }

    void send(String sessionId, Message<?> frame) {
        client.send(sessionId, frame);
    }

    Message<byte[]> fatal(ErrorCode code, String detail, boolean reconnect, String sessionId) {
        return fatal(code, detail, reconnect, false, sessionId);
    }

    Message<byte[]> fatal(ErrorCode code, String detail, boolean reconnect, boolean refresh, String sessionId) {
        StompHeaderAccessor headers = StompHeaderAccessor.create(StompCommand.ERROR);
        headers.setMessage(code.code());
        headers.setNativeHeader(CODE_HEADER, code.code());
        if (reconnect) {
            headers.setNativeHeader(RECONNECT_HEADER, "true");
        }
        if (refresh) {
            headers.setNativeHeader(REFRESH_HEADER, "true");
        }
        if (sessionId != null) {
            headers.setSessionId(sessionId);
        }
        headers.setContentType(MimeTypeUtils.APPLICATION_JSON);
        headers.setLeaveMutable(true);
        return MessageBuilder.createMessage(body(new ChatError(code, detail, null, null)), headers.getMessageHeaders());
    }

    private byte[] body(ChatError error) {
        try {
            return json.writeValueAsBytes(error);
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
