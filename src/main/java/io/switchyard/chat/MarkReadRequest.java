package io.switchyard.chat;

/** @param lastReadId the newest message id read; absent: everything so far */
record MarkReadRequest(Long lastReadId) {
}
