package io.switchyard.support.error;

/** Thrown while reading a chunked body that grows past the configured limit. */
public class PayloadTooLargeException extends ApiException {

    public PayloadTooLargeException(long maxBytes) {
        super(ErrorCode.PAYLOAD_TOO_LARGE, "Request body is larger than " + maxBytes + " bytes.");
    }
}
