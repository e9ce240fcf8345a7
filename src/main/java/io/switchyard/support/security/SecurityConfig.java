package io.switchyard.support.security;

import io.switchyard.support.error.ProblemResponseWriter;
import io.switchyard.support.web.ApiCorsFilter;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.resource.web.BearerTokenResolver;
import org.springframework.security.oauth2.server.resource.web.DefaultBearerTokenResolver;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.filter.CorsFilter;

/**
 * Stateless bearer-token security: {@code /api/**} needs a valid access token except the login endpoints;
 * only health and info of the actuator are public (nginx and the deploy scripts probe them).
 * {@code /ws/**} is open at the HTTP level because the chat handshake checks the token itself.
 * {@code /api/auth/**} never reads the {@code Authorization} header: a client whose HTTP layer adds a stale access
 * token to every call must still be able to refresh or sign in.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfig {

    private static final String LOGIN_PATH = "/api/auth/";

    @Bean
    SecurityFilterChain securityFilterChain(HttpSecurity http, ProblemResponseWriter problems, ApiCorsFilter cors,
            JwtDecoder decoder, SessionRevocations revocations) throws Exception {
        var entryPoint = new ProblemAuthenticationEntryPoint(problems);
        var accessDenied = new ProblemAccessDeniedHandler(problems);
        http
                // CORS first: a preflight carries no token and is answered before authentication
                .addFilterAt(cors, CorsFilter.class)
                .csrf(csrf -> csrf.disable())
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(cache -> cache.disable())
                .formLogin(form -> form.disable())
                .httpBasic(basic -> basic.disable())
                .logout(logout -> logout.disable())
                .authorizeHttpRequests(auth -> auth
                        .requestMatchers("/actuator/health", "/actuator/health/**", "/actuator/info").permitAll()
                        .requestMatchers("/actuator/**").denyAll()
                        .requestMatchers("/api/auth/**").permitAll()
                        .requestMatchers("/api/**").authenticated()
                        .anyRequest().permitAll())
                .oauth2ResourceServer(oauth2 -> oauth2
                        .bearerTokenResolver(bearerTokensOutsideLogin())
                        .jwt(jwt -> jwt.decoder(new RevokedLoginRefusingDecoder(decoder, revocations)))
                        .authenticationEntryPoint(entryPoint)
                        .accessDeniedHandler(accessDenied))
                .exceptionHandling(exceptions -> exceptions
                        .authenticationEntryPoint(entryPoint)
                        .accessDeniedHandler(accessDenied));
        return http.build();
    }

    private static BearerTokenResolver bearerTokensOutsideLogin() {
        DefaultBearerTokenResolver standard = new DefaultBearerTokenResolver();
        return request -> request.getRequestURI().startsWith(request.getContextPath() + LOGIN_PATH)
                ? null : standard.resolve(request);
    }
}
