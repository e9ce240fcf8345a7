package io.switchyard.support.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtValidationException;

class RevokedLoginRefusingDecoderTest {

    private final JwtConfig config = new JwtConfig();
    private final JwtProperties properties =
            new JwtProperties("a-unit-test-secret-that-is-32-bytes-long!", "switchyard", Duration.ofMinutes(15));
    private final SecretKey key = config.jwtSigningKey(properties);
    private final JwtDecoder shared = config.jwtDecoder(key, properties);
    private final AccessTokens tokens = new AccessTokens(config.jwtEncoder(key), properties, Clock.systemUTC());
    private final SessionRevocations revocations = mock(SessionRevocations.class);
    private final JwtDecoder rest = new RevokedLoginRefusingDecoder(shared, revocations);

    @Test
    void aTokenOfAnEndedLoginIsRefusedOnRestButStillDecodesForChat() {
        String token = tokens.issue(42, "login-1").value();
        when(revocations.revokedAmong(List.of("login-1"))).thenReturn(Set.of("login-1"));

        assertThatThrownBy(() -> rest.decode(token)).isInstanceOf(JwtValidationException.class)
                .hasMessageContaining("signed out");
        assertThat(shared.decode(token).getSubject())
                .as("STOMP decodes it and answers session-revoked itself").isEqualTo("42");
    }

    @Test
    void aTokenOfALiveLoginPasses() {
        String token = tokens.issue(42, "login-2").value();
        when(revocations.revokedAmong(any())).thenReturn(Set.of());

        assertThat(rest.decode(token).getSubject()).isEqualTo("42");
    }

    @Test
    void aTokenBoundToNoLoginPassesWithoutAskingRedis() {
        String token = tokens.issue(7).value();

        assertThat(rest.decode(token).getSubject()).isEqualTo("7");
        verifyNoInteractions(revocations);
    }
}
