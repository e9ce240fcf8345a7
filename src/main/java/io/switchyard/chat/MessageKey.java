package io.switchyard.chat;

import io.switchyard.support.error.ApiException;
import io.switchyard.support.error.ErrorCode;

/**
 * The optional {@code message-key} header of a SEND: chosen by the client (a UUID, say), unique per sender, and
 * the same on every resend of one message, so that the message is stored once however often it is sent.
 */
final class MessageKey {

    static final String HEADER = "message-key";
    static final int MAX_LENGTH = 100;

    private MessageKey() {
    }

    /**
     * The key as sent, or null when the SEND has none. A key is 1 to 100 visible ASCII characters ({@code !} to
     * {@code ~}: no spaces, which some STOMP clients trim, no control characters).
     */
    static String valid(String header) {
        if (header == null) {
            return null;
        }
        if (header.isEmpty() || header.length() > MAX_LENGTH || !header.chars().allMatch(c -> c > ' ' && c < 0x7F)) {
            throw new ApiException(ErrorCode.INVALID_MESSAGE_KEY,
                    "message-key must be 1 to " + MAX_LENGTH + " visible ASCII characters (no spaces), e.g. a UUID.");
        }
        return header;
    }
}
