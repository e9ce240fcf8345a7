package io.switchyard.support.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.support.app.AppProperties;
import io.switchyard.support.error.ProblemResponseWriter;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/** Registers the cross-cutting servlet filters ahead of Spring Security, so even a 401 is traced and colored. */
@Configuration(proxyBeanMethods = false)
class WebFilterConfig {

    @Bean
    FilterRegistrationBean<TraceIdFilter> traceIdFilter() {
        var registration = new FilterRegistrationBean<>(new TraceIdFilter());
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    @Bean
    FilterRegistrationBean<AppColorHeaderFilter> appColorHeaderFilter(AppProperties app) {
        var registration = new FilterRegistrationBean<>(new AppColorHeaderFilter(app));
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 1);
        return registration;
    }

    /** Not a servlet filter of its own: the security chain runs it (before authentication). */
    @Bean
    ApiCorsFilter apiCorsFilter(CorsProperties properties, ObjectMapper json) {
        return new ApiCorsFilter(properties, json);
    }

    @Bean
    FilterRegistrationBean<ApiCorsFilter> apiCorsFilterOutsideTheChain(ApiCorsFilter filter) {
        var registration = new FilterRegistrationBean<>(filter);
        registration.setEnabled(false);
        return registration;
    }

    @Bean
    FilterRegistrationBean<RequestBodyLimitFilter> requestBodyLimitFilter(WebProperties properties,
            ProblemResponseWriter problems) {
        var registration = new FilterRegistrationBean<>(new RequestBodyLimitFilter(properties, problems));
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 2);
        return registration;
    }
}
