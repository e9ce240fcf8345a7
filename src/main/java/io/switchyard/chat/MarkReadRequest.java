package io.switchyard.chat;

import org.springframework.lang.Nullable;

/** @param lastReadId the newest message id read; absent: everything so far */
record MarkReadRequest(@Nullable Long lastReadId) {
}
