package io.switchyard.support.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

class TraceIdFilterTest {

    @Test
    void continuesW3cTraceparent() {
        var request = new MockHttpServletRequest();
        request.addHeader("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        request.addHeader("X-Request-Id", "nginx-request-id-123");

        assertThat(TraceIdFilter.traceIdFrom(request)).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    }

    @Test
    void usesNginxRequestIdWhenThereIsNoTraceparent() {
        var request = new MockHttpServletRequest();
        request.addHeader("X-Request-Id", "0f1e2d3c4b5a69788796a5b4c3d2e1f0");

        assertThat(TraceIdFilter.traceIdFrom(request)).isEqualTo("0f1e2d3c4b5a69788796a5b4c3d2e1f0");
    }

    @Test
    void ignoresHostileHeadersAndInventsAnId() {
        var request = new MockHttpServletRequest();
        request.addHeader("traceparent", "garbage");
        request.addHeader("X-Request-Id", "x\n{\"injected\":true}");

        String traceId = TraceIdFilter.traceIdFrom(request);

        assertThat(traceId).matches("[0-9a-f]{32}");
    }

    @Test
    void inventedIdsDiffer() {
        var request = new MockHttpServletRequest();

        assertThat(TraceIdFilter.traceIdFrom(request)).isNotEqualTo(TraceIdFilter.traceIdFrom(request));
    }
}
