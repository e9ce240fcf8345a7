package io.switchyard.chat;

import io.switchyard.support.error.ApiException;
import io.switchyard.support.error.ErrorCode;
import java.security.Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.messaging.converter.MessageConversionException;
import org.springframework.messaging.handler.annotation.DestinationVariable;
import org.springframework.messaging.handler.annotation.MessageExceptionHandler;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.messaging.handler.annotation.support.MethodArgumentNotValidException;
import org.springframework.messaging.simp.SimpMessageHeaderAccessor;
import org.springframework.messaging.simp.annotation.SendToUser;
import org.springframework.stereotype.Controller;

/**
 * SEND to {@code /app/rooms/{roomId}} with a JSON body {@code {"text": "..."}} and, to learn the message id, a
 * {@code receipt} header: the RECEIPT comes only after the message is stored, carrying {@code message-id}. An
 * optional {@code message-key} header makes resends safe: the same key again gets the first message's id.
 */
@Controller
class ChatController {

    private static final Logger log = LoggerFactory.getLogger(ChatController.class);

    private final ChatService chat;
    private final StompFrames frames;

    ChatController(ChatService chat, StompFrames frames) {
        this.chat = chat;
        this.frames = frames;
    }

    @MessageMapping("/rooms/{roomId}")
    void send(@DestinationVariable long roomId, @Payload SendMessageRequest request, Principal principal,
            SimpMessageHeaderAccessor headers) {
        MessageView stored = chat.send(roomId, ChatPrincipal.userId(principal), request.text(),
                headers.getFirstNativeHeader(MessageKey.HEADER));
        String receipt = headers.getFirstNativeHeader("receipt");
        if (receipt != null) {
            frames.receipt(headers.getSessionId(), receipt, stored.id());
        }
    }

    @MessageExceptionHandler
    @SendToUser(destinations = StompFrames.ERRORS_DESTINATION, broadcast = false)
    ChatError refused(Exception ex, SimpMessageHeaderAccessor headers) {
        String receipt = headers.getFirstNativeHeader("receipt");
        String destination = headers.getDestination();
        if (ex instanceof ApiException api) {
            return ChatError.of(api, receipt, destination);
        }
        if (ex instanceof MessageConversionException || ex instanceof MethodArgumentNotValidException) {
            // the REST name for the same situation; the previous release said malformed-message
            return ChatError.renamed(ErrorCode.MALFORMED_BODY, "The body must be JSON like {\"text\": \"...\"}.",
                    receipt, destination);
        }
        if (ex instanceof ChatRejection rejection) {
            return new ChatError(rejection.code(), rejection.getMessage(), receipt, destination);
        }
        log.error("chat message failed", ex);
        return new ChatError(ErrorCode.INTERNAL_ERROR, "The message could not be sent; retry.", receipt,
                destination);
    }
}
