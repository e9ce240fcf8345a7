package io.switchyard.support.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import co.elastic.apm.api.ElasticApm;
import java.io.IOException;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.slf4j.MDC;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Puts a trace id on every log line of a request ({@code trace.id} in the MDC, the ECS field Kibana links on).
 *
 * <p>When the Elastic APM agent is attached its transaction's trace id wins (the agent writes it into every log
 * event itself; the response header must name the same trace). Otherwise we continue a W3C {@code traceparent}, then nginx's {@code X-Request-Id}, and only then invent
 * one, so an nginx access-log line and the app's log lines share an id.
 */
class TraceIdFilter extends OncePerRequestFilter {

    static final String MDC_KEY = "trace.id";
    static final String RESPONSE_HEADER = "X-Trace-Id";

    private static final Pattern TRACEPARENT = Pattern.compile("^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$");
    private static final Pattern REQUEST_ID = Pattern.compile("^[A-Za-z0-9._-]{8,64}$");

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String existing = MDC.get(MDC_KEY);
        if (existing != null) {
            response.setHeader(RESPONSE_HEADER, existing);
            chain.doFilter(request, response);
            return;
        }
        String traceId = apmTraceId();
        if (traceId.isEmpty()) {
            traceId = traceIdFrom(request);
        }
        response.setHeader(RESPONSE_HEADER, traceId);
        MDC.put(MDC_KEY, traceId);
        try {
            chain.doFilter(request, response);
        } finally {
            MDC.remove(MDC_KEY);
        }
    }

    /** The APM transaction's trace id, or "" without the agent (the API is a no-op then). */
    private static String apmTraceId() {
        return ElasticApm.currentTransaction().getTraceId();
    }

    static String traceIdFrom(HttpServletRequest request) {
        String traceparent = request.getHeader("traceparent");
        if (traceparent != null) {
            var matcher = TRACEPARENT.matcher(traceparent.trim());
            if (matcher.matches()) {
                return matcher.group(1);
            }
        }
        String requestId = request.getHeader("X-Request-Id");
        if (requestId != null && REQUEST_ID.matcher(requestId).matches()) {
            return requestId;
        }
        byte[] random = new byte[16];
        ThreadLocalRandom.current().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }
}
