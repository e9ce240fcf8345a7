package io.switchyard.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
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
    static final String ERRORS_DESTINATION = "/queue/errors";

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

    /** A non-fatal error to one session's {@code /user/queue/errors} subscription. */
    void error(String sessionId, String userName, ChatError error) {
        SimpMessageHeaderAccessor headers = SimpMessageHeaderAccessor.create(SimpMessageType.MESSAGE);
        headers.setSessionId(sessionId);
        headers.setLeaveMutable(true);
        template.getObject().convertAndSendToUser(userName, ERRORS_DESTINATION, error, headers.getMessageHeaders());
    }

    /** The drain's hint: STOMP ERROR with {@code reconnect: true}; Spring closes the socket right after it. */
    void reconnectHint(String sessionId) {
        client.send(sessionId, fatal("server-restart", "This instance is shutting down: reconnect and resume.", true,
                sessionId));
    }

    void send(String sessionId, Message<?> frame) {
        client.send(sessionId, frame);
    }

    Message<byte[]> fatal(String code, String detail, boolean reconnect, String sessionId) {
        StompHeaderAccessor headers = StompHeaderAccessor.create(StompCommand.ERROR);
        headers.setMessage(code);
        headers.setNativeHeader(CODE_HEADER, code);
        if (reconnect) {
            headers.setNativeHeader(RECONNECT_HEADER, "true");
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
