package io.switchyard.support.security;

import io.switchyard.support.error.ErrorCode;
import io.switchyard.support.error.ProblemResponseWriter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.server.resource.web.BearerTokenAuthenticationEntryPoint;
import org.springframework.security.web.AuthenticationEntryPoint;

/** 401 with the standard {@code WWW-Authenticate: Bearer ...} header and a problem+json body. */
class ProblemAuthenticationEntryPoint implements AuthenticationEntryPoint {

    private static final Logger log = LoggerFactory.getLogger(ProblemAuthenticationEntryPoint.class);

    private final BearerTokenAuthenticationEntryPoint bearer = new BearerTokenAuthenticationEntryPoint();
    private final ProblemResponseWriter problems;

    ProblemAuthenticationEntryPoint(ProblemResponseWriter problems) {
        this.problems = problems;
    }

    @Override
    public void commence(HttpServletRequest request, HttpServletResponse response,
            AuthenticationException authException) throws IOException {
        bearer.commence(request, response, authException);
        boolean tokenPresented = request.getHeader("Authorization") != null;
        if (tokenPresented) {
            // a rejected token is worth a line: repeated ones show up in Kibana next to the nginx 401s
            log.info("rejected access token for {} {}: {}", request.getMethod(), request.getRequestURI(),
                    authException.getMessage());
        }
        problems.write(request, response, tokenPresented ? ErrorCode.INVALID_TOKEN : ErrorCode.UNAUTHORIZED,
                tokenPresented ? "Access token is invalid or expired." : "An access token is required.");
    }
}
