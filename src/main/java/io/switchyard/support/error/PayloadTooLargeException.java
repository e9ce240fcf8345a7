package io.switchyard.support.error;

import org.springframework.http.HttpStatus;

/** Thrown while reading a chunked body that grows past the configured limit. */
public class PayloadTooLargeException extends ApiException {

    public static final String CODE = "payload-too-large";

    public PayloadTooLargeException(long maxBytes) {
        super(HttpStatus.PAYLOAD_TOO_LARGE, CODE, "Request body is larger than " + maxBytes + " bytes.");
    }
}
