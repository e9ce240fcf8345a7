package io.switchyard.auth;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Our side of the login.
 *
 * @param stateTtl            how long an authorize-url {@code state} may wait for the login call (single use)
 * @param refreshTokenTtl     a refresh token unused this long expires (each rotation starts a new one)
 * @param sessionMaxAge       absolute lifetime of a login: no refresh extends it past this, counted from sign-in
 * @param refreshReuseGrace   a just-rotated refresh token presented again this soon answers its successor instead
 *                            of revoking the login (concurrent refreshes); 0 turns it off
 * @param requireCodeVerifier the login call must bring the {@code codeVerifier} its authorize-url answered (binds
 *                            the login to the caller); false only while old clients that do not send it remain
 */
@ConfigurationProperties("switchyard.auth")
public record AuthProperties(
        @DefaultValue("10m") Duration stateTtl,
        @DefaultValue("14d") Duration refreshTokenTtl,
        @DefaultValue("30d") Duration sessionMaxAge,
        @DefaultValue("30s") Duration refreshReuseGrace,
        @DefaultValue("true") boolean requireCodeVerifier) {
}
