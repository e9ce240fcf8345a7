package io.switchyard.support.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;

class AccessTokensTest {

    private final JwtConfig config = new JwtConfig();
    private final JwtProperties properties =
            new JwtProperties("a-unit-test-secret-that-is-32-bytes-long!", "switchyard", Duration.ofMinutes(15));
    private final SecretKey key = config.jwtSigningKey(properties);
    private final JwtDecoder decoder = config.jwtDecoder(key, properties);

    @Test
    void issuedTokenValidatesAndNamesTheUser() {
        var tokens = new AccessTokens(config.jwtEncoder(key), properties, Clock.systemUTC());

        AccessTokens.IssuedToken token = tokens.issue(42);
        Jwt jwt = decoder.decode(token.value());

        assertThat(jwt.getSubject()).isEqualTo("42");
        assertThat(jwt.getClaimAsString("iss")).isEqualTo("switchyard");
        assertThat(token.expiresInSeconds()).isEqualTo(900);
    }

    @Test
    void expiredTokenIsRejected() {
        Clock longAgo = Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC);
        var tokens = new AccessTokens(config.jwtEncoder(key), properties, longAgo);

        String token = tokens.issue(42).value();

        assertThatThrownBy(() -> decoder.decode(token)).isInstanceOf(JwtException.class).hasMessageContaining("expired");
    }

    @Test
    void tokenSignedWithAnotherKeyIsRejected() {
        var otherProperties = new JwtProperties("another-secret-that-is-also-32-bytes-long", "switchyard",
                Duration.ofMinutes(15));
        var forged = new AccessTokens(config.jwtEncoder(config.jwtSigningKey(otherProperties)), otherProperties,
                Clock.systemUTC());

        String token = forged.issue(1).value();

        assertThatThrownBy(() -> decoder.decode(token)).isInstanceOf(JwtException.class);
    }

    @Test
    void shortSecretIsRefusedAtStartup() {
        var weak = new JwtProperties("too-short", "switchyard", Duration.ofMinutes(15));

        assertThatThrownBy(() -> config.jwtSigningKey(weak)).hasMessageContaining("at least 32 bytes");
    }
}
