package io.switchyard.support.error;

import java.net.URI;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;

/** Builds the RFC 9457 bodies: {@code type} is a stable URN derived from {@code code}, which clients switch on. */
public final class Problems {

    public static final String CODE_PROPERTY = "code";
    private static final String TYPE_PREFIX = "urn:switchyard:problem:";

    private Problems() {
    }

    public static ProblemDetail of(HttpStatusCode status, String code, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        return withCode(problem, code);
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

    public static ProblemDetail withCode(ProblemDetail problem, String code) {
        problem.setType(URI.create(TYPE_PREFIX + code));
        problem.setProperty(CODE_PROPERTY, code);
        return problem;
    }
}
