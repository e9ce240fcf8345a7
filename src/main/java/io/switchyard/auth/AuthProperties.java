package io.switchyard.auth;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Our side of the login.
 *
 * @param stateTtl        how long an authorize-url {@code state} may wait for the login call (single use)
 * @param refreshTokenTtl lifetime of a refresh token; each rotation starts a new one and extends the family
 */
@ConfigurationProperties("switchyard.auth")
public record AuthProperties(
        @DefaultValue("10m") Duration stateTtl,
        @DefaultValue("14d") Duration refreshTokenTtl) {
}
