package io.switchyard.chat;

import java.util.Map;
import org.springframework.boot.actuate.autoconfigure.security.servlet.EndpointRequest;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpoint;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.stereotype.Component;

/**
 * {@code POST /actuator/chathandover}: hands this instance's chat sockets over to the other color while the instance
 * keeps running (the deploy calls it on the old color at the end of its drain, when a rollback window keeps that color
 * up). It reuses the shutdown drain as it is: readiness goes to REFUSING_TRAFFIC, which sends every client the
 * reconnect hint and closes what is left with 1012; then readiness comes back, so an instant rollback can route here
 * again. Clients reconnect through nginx, which already routes to the new color.
 *
 * <p>Reachable where {@code /actuator/info} is: the app port, which the compose files bind to the host's loopback;
 * nginx denies {@code /actuator/*} except health. A write operation (POST), so no link or crawler triggers it.
 */
@Component
@WebEndpoint(id = "chathandover")
class ChatHandoverEndpoint implements ApplicationListener<ContextClosedEvent> {

    private final ApplicationContext context;
    private final ApplicationAvailability availability;
    private volatile boolean closing;

    ChatHandoverEndpoint(ApplicationContext context, ApplicationAvailability availability) {
        this.context = context;
        this.availability = availability;
    }

    @WriteOperation
    Map<String, Object> handOver() {
        if (closing || availability.getReadinessState() != ReadinessState.ACCEPTING_TRAFFIC) {
            // Shutting down (its own drain runs) or not ready: nothing to hand over, readiness is left alone.
            return Map.of("handedOver", false, "readiness", availability.getReadinessState());
        }
        // Listeners run synchronously: this returns once the drain has hinted and closed every socket.
        AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
        if (!closing) {
            AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
        }
        return Map.of("handedOver", true, "readiness", availability.getReadinessState());
    }

    @Override
    public void onApplicationEvent(ContextClosedEvent event) {
        closing = true;
    }

    /** The app's main chain denies {@code /actuator/**} but health and info; this one endpoint is let through. */
    @Configuration(proxyBeanMethods = false)
    static class Security {

        @Bean
        @Order(Ordered.HIGHEST_PRECEDENCE)
        SecurityFilterChain chatHandoverSecurity(HttpSecurity http) throws Exception {
            return http
                    .securityMatcher(EndpointRequest.to(ChatHandoverEndpoint.class))
                    .csrf(csrf -> csrf.disable())
                    .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                    .authorizeHttpRequests(auth -> auth.anyRequest().permitAll())
                    .build();
        }
    }
}
