package io.switchyard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.JwsHeader;
import org.springframework.security.oauth2.jwt.JwtClaimsSet;
import org.springframework.security.oauth2.jwt.JwtEncoder;
import org.springframework.security.oauth2.jwt.JwtEncoderParameters;

/** What a protected endpoint says to missing, tampered and expired access tokens: 401 with a Bearer challenge. */
class AccessTokenIT extends AuthIntegrationSupport {

    @Autowired
    JwtEncoder encoder;

    @Test
    void missingTokenIs401WithChallenge() throws Exception {
        Answer answer = get("/api/users/me", null);

        answer.assertProblem(401, "unauthorized");
        assertThat(answer.header("WWW-Authenticate")).startsWith("Bearer");
    }

    @Test
    void tamperedTokenIs401WithInvalidTokenChallenge() throws Exception {
        String token = signIn(newKakaoId()).body().path("accessToken").asText();
        String[] parts = token.split("\\.");
        // another subject in the payload, the original signature: the classic privilege escalation attempt
        String forgedPayload = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                "{\"iss\":\"switchyard\",\"sub\":\"1\",\"exp\":4102444800}".getBytes());
        String tampered = parts[0] + "." + forgedPayload + "." + parts[2];

        Answer answer = get("/api/users/me", tampered);

        answer.assertProblem(401, "invalid-token");
        assertThat(answer.header("WWW-Authenticate")).startsWith("Bearer").contains("error=\"invalid_token\"");
    }

    @Test
    void expiredTokenIs401WithInvalidTokenChallenge() throws Exception {
        long userId = signIn(newKakaoId()).body().path("user").path("id").asLong();
        Instant longAgo = Instant.now().minusSeconds(3600);
        String expired = encoder.encode(JwtEncoderParameters.from(JwsHeader.with(MacAlgorithm.HS256).build(),
                JwtClaimsSet.builder().issuer("switchyard").subject(Long.toString(userId))
                        .issuedAt(longAgo).expiresAt(longAgo.plusSeconds(900)).build())).getTokenValue();

        Answer answer = get("/api/users/me", expired);

        answer.assertProblem(401, "invalid-token");
        assertThat(answer.header("WWW-Authenticate")).startsWith("Bearer").contains("error=\"invalid_token\"");
    }

    @Test
    void refreshTokenIsNoAccessToken() throws Exception {
        String refreshToken = signIn(newKakaoId()).body().path("refreshToken").asText();

        get("/api/users/me", refreshToken).assertProblem(401, "invalid-token");
    }
}
