package io.switchyard.support.error;

import org.springframework.http.HttpStatus;

/**
 * A failure the client can act on. Features throw subclasses; the handler turns them into problem+json with
 * the given status and stable {@code code}, never a stack trace.
 */
public class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final String code;

    public ApiException(HttpStatus status, String code, String detail) {
        super(detail);
        this.status = status;
        this.code = code;
    }

    public ApiException(HttpStatus status, String code, String detail, Throwable cause) {
        super(detail, cause);
        this.status = status;
        this.code = code;
    }

    public HttpStatus status() {
        return status;
    }

    public String code() {
        return code;
    }
}
