package io.switchyard.support.security;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Access-token settings.
 *
 * @param secret         HS256 key, at least 32 bytes (env {@code JWT_SECRET}); blank only in the embedded default,
 *                       where a random per-process key is generated
 * @param issuer         {@code iss} claim written and required
 * @param accessTokenTtl lifetime of an access token
 */
@ConfigurationProperties("switchyard.security.jwt")
public record JwtProperties(
        String secret,
        @DefaultValue("switchyard") String issuer,
        @DefaultValue("15m") Duration accessTokenTtl) {
}
