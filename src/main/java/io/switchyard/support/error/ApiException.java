package io.switchyard.support.error;

import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * A failure the client can act on, with its catalog {@link ErrorCode}. The handler turns it into problem+json with
 * the code's status; over STOMP it becomes an error with the same code. Never a stack trace.
 */
public class ApiException extends RuntimeException {

    private final ErrorCode code;
    private final boolean legacy;
    private final List<Map<String, String>> fieldErrors;

    public ApiException(ErrorCode code, String detail) {
        this(code, detail, null, false, List.of());
    }

    public ApiException(ErrorCode code, String detail, Throwable cause) {
        this(code, detail, cause, false, List.of());
    }

    private ApiException(ErrorCode code, String detail, Throwable cause, boolean legacy,
            List<Map<String, String>> fieldErrors) {
        super(detail, cause);
        this.code = code;
        this.legacy = legacy;
        this.fieldErrors = fieldErrors;
    }

    /** A {@code validation-failed} naming the field, like the bean-validation ones. */
    public static ApiException invalidField(String field, String message) {
        return new ApiException(ErrorCode.VALIDATION_FAILED, "Request has invalid fields.", null, false,
                List.of(Map.of("field", field, "message", message)));
    }

    /** This situation had the code's {@link ErrorCode#legacyCode} in the previous release: say so beside it. */
    public ApiException renamedFromLegacyCode() {
        return new ApiException(code, getMessage(), getCause(), code.legacyCode() != null, fieldErrors);
    }

    public ErrorCode errorCode() {
        return code;
    }

    public String code() {
        return code.code();
    }

    /** The REST status: the catalog's, or 400 for codes that normally travel over STOMP only. */
    public HttpStatus status() {
        return code.status() == null ? HttpStatus.BAD_REQUEST : code.status();
    }

    /** The previous release's name for this situation, or null. */
    public String legacyCode() {
        return legacy ? code.legacyCode() : null;
    }

    public List<Map<String, String>> fieldErrors() {
        return fieldErrors;
    }
}
