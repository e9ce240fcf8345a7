package io.switchyard.support.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.support.error.ErrorCode;
import io.switchyard.support.error.Problems;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.CorsUtils;
import org.springframework.web.cors.DefaultCorsProcessor;
import org.springframework.web.cors.UrlBasedCorsConfigurationSource;
import org.springframework.web.filter.CorsFilter;

/**
 * CORS for {@code /api/**} with Spring's own processor (exact origins, credentials, max-age, preflights answered
 * before authentication), with two differences that keep CORS about what browsers may read, not who may call:
 * a request from an origin not on the list gets no CORS headers and is served as any request without an Origin
 * (bearer tokens are not sent by browsers on their own, so there is nothing to forge), and a preflight from such
 * an origin is refused with a problem+json 403 ({@code cors-origin-not-allowed}) instead of a plain-text one.
 */
public class ApiCorsFilter extends CorsFilter {

    static final List<String> ALLOWED_HEADERS = List.of(HttpHeaders.AUTHORIZATION, HttpHeaders.CONTENT_TYPE,
            HttpHeaders.ACCEPT, "traceparent", "X-Request-Id");
    static final List<String> EXPOSED_HEADERS = List.of("X-Next-Cursor", "X-Trace-Id", "X-App-Color",
            HttpHeaders.WWW_AUTHENTICATE);
    static final List<String> ALLOWED_METHODS = List.of("GET", "HEAD", "POST", "DELETE");

    ApiCorsFilter(CorsProperties properties, ObjectMapper json) {
        super(source(properties));
        setCorsProcessor(new Processor(json));
    }

    private static UrlBasedCorsConfigurationSource source(CorsProperties properties) {
        UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
        if (!properties.allowedOrigins().isEmpty()) {
            CorsConfiguration api = new CorsConfiguration();
            api.setAllowedOrigins(properties.allowedOrigins());
            api.setAllowCredentials(properties.allowCredentials());
            api.setMaxAge(properties.maxAge());
            api.setAllowedMethods(ALLOWED_METHODS);
            api.setAllowedHeaders(ALLOWED_HEADERS);
            api.setExposedHeaders(EXPOSED_HEADERS);
            source.registerCorsConfiguration("/api/**", api);
        }
        return source;
    }

    private static final class Processor extends DefaultCorsProcessor {

        private final ObjectMapper json;

        Processor(ObjectMapper json) {
            this.json = json;
        }

        @Override
        public boolean processRequest(CorsConfiguration config, HttpServletRequest request,
                HttpServletResponse response) throws IOException {
            String origin = request.getHeader(HttpHeaders.ORIGIN);
            if (config != null && origin != null && !CorsUtils.isPreFlightRequest(request)
                    && config.checkOrigin(origin) == null) {
                response.addHeader(HttpHeaders.VARY, HttpHeaders.ORIGIN);
                return true;
            }
            return super.processRequest(config, request, response);
        }

        @Override
        protected void rejectRequest(ServerHttpResponse response) throws IOException {
            ErrorCode code = ErrorCode.CORS_ORIGIN_NOT_ALLOWED;
            response.setStatusCode(code.status());
            response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
            json.writeValue(response.getBody(), Problems.of(code,
                    "This origin, method or header is not allowed to call the API from a browser."));
            response.flush();
        }
    }
}
