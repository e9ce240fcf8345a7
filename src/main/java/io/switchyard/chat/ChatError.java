package io.switchyard.chat;

import io.switchyard.support.error.ApiException;
import io.switchyard.support.error.ErrorCode;
import org.springframework.lang.Nullable;

/**
 * A refused SEND or SUBSCRIBE, delivered on {@code /user/queue/errors} (the session stays open), and the body of a
 * session-ending STOMP ERROR. {@code code} is from the one error catalog (docs/api/errors.md), as over REST.
 *
 * @param receiptId   the {@code receipt} header of the refused frame, if it had one
 * @param destination the destination of the refused frame
 * @param legacyCode  the previous release's name for this situation, for one release (e.g. malformed-message)
 */
record ChatError(String code, String detail, @Nullable String receiptId, @Nullable String destination,
        @Nullable String legacyCode) {

    ChatError(ErrorCode code, String detail, String receiptId, String destination) {
        this(code.code(), detail, receiptId, destination, null);
    }

    static ChatError of(ApiException ex, String receiptId, String destination) {
        return new ChatError(ex.code(), ex.getMessage(), receiptId, destination, ex.legacyCode());
    }

    /** Under its catalog code, with the previous release's name beside it. */
    static ChatError renamed(ErrorCode code, String detail, String receiptId, String destination) {
        return new ChatError(code.code(), detail, receiptId, destination, code.legacyCode());
    }
}
