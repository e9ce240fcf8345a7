package io.switchyard.chat;

/** A frame refused at the protocol level; the client gets a STOMP ERROR with {@code code} and the socket closes. */
class ChatRejection extends RuntimeException {

    private final String code;
    private final boolean reconnect;

    ChatRejection(String code, String detail) {
        this(code, detail, false);
    }

    ChatRejection(String code, String detail, boolean reconnect) {
        super(detail);
        this.code = code;
        this.reconnect = reconnect;
    }

    String code() {
        return code;
    }

    boolean reconnect() {
        return reconnect;
    }
}
