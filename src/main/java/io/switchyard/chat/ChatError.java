package io.switchyard.chat;

/**
 * A refused SEND or SUBSCRIBE, delivered on {@code /user/queue/errors}; the session stays open.
 *
 * @param receiptId   the {@code receipt} header of the refused SEND, if it had one
 * @param destination the destination of the refused frame
 */
record ChatError(String code, String detail, String receiptId, String destination) {
}
