package io.switchyard.chat;

import io.switchyard.support.error.ErrorCode;

/** A frame refused at the protocol level; the client gets a STOMP ERROR with {@code code} and the socket closes. */
class ChatRejection extends RuntimeException {

    private final ErrorCode code;
    private final boolean reconnect;

    ChatRejection(ErrorCode code, String detail) {
        this(code, detail, false);
    }

    ChatRejection(ErrorCode code, String detail, boolean reconnect) {
        super(detail);
        this.code = code;
        this.reconnect = reconnect;
    }

    ErrorCode code() {
        return code;
    }

    boolean reconnect() {
        return reconnect;
    }
}
