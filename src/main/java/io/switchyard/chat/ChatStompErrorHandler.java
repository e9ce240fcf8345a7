package io.switchyard.chat;

import io.switchyard.support.error.ErrorCode;
import org.springframework.messaging.Message;
import org.springframework.web.socket.messaging.StompSubProtocolErrorHandler;

/** Turns a refused frame into an ERROR with a stable {@code code} header; internals never reach the client. */
class ChatStompErrorHandler extends StompSubProtocolErrorHandler {

    private final StompFrames frames;

    ChatStompErrorHandler(StompFrames frames) {
        this.frames = frames;
    }

    @Override
    public Message<byte[]> handleClientMessageProcessingError(Message<byte[]> clientMessage, Throwable ex) {
        for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
            if (cause instanceof ChatRejection rejection) {
                return frames.fatal(rejection.code(), rejection.getMessage(), rejection.reconnect(), null);
            }
        }
        return frames.fatal(ErrorCode.BAD_FRAME, "The frame could not be processed.", false, null);
    }
}
