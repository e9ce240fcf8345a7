package io.switchyard.support.error;

import java.net.URI;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;

/** Builds the RFC 9457 bodies: {@code type} is a stable URN derived from {@code code}, which clients switch on. */
public final class Problems {

    public static final String CODE_PROPERTY = "code";
    public static final String LEGACY_CODE_PROPERTY = "legacyCode";
    public static final String ERRORS_PROPERTY = "errors";
    public static final String TYPE_PREFIX = "urn:switchyard:problem:";

    private Problems() {
    }

    /** With the code's own status. */
    public static ProblemDetail of(ErrorCode code, String detail) {
        return of(code.status(), code, detail);
    }

    public static ProblemDetail of(HttpStatusCode status, ErrorCode code, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        return withCode(problem, code);
    }

    /** The body of an {@link ApiException}: its code, the previous release's name when renamed, field errors. */
    public static ProblemDetail of(ApiException ex) {
        ProblemDetail problem = of(ex.status(), ex.errorCode(), ex.getMessage());
        if (ex.legacyCode() != null) {
            problem.setProperty(LEGACY_CODE_PROPERTY, ex.legacyCode());
        }
        if (!ex.fieldErrors().isEmpty()) {
            problem.setProperty(ERRORS_PROPERTY, ex.fieldErrors());
        }
        return problem;
    }

    /** Sets {@code instance} to the request path, skipping paths that are not valid URIs. */
    public static ProblemDetail atPath(ProblemDetail problem, String path) {
        try {
            problem.setInstance(URI.create(path));
        } catch (IllegalArgumentException notAUri) {
            // the path is echoed for convenience only; a problem without it is still complete
        }
        return problem;
    }

    public static ProblemDetail withCode(ProblemDetail problem, ErrorCode code) {
        problem.setType(URI.create(TYPE_PREFIX + code.code()));
        problem.setProperty(CODE_PROPERTY, code.code());
        return problem;
    }
}
