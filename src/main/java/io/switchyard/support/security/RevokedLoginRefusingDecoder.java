package io.switchyard.support.security;

import java.util.List;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtValidationException;

/**
 * The REST API's decoder: the shared one, then a refusal of tokens whose login ended (logout, sign out everywhere,
 * account deletion, refresh-token reuse), one Redis lookup of the token's {@code sid}. Tokens bound to no login
 * (tools, tests) pass. When Redis cannot answer, the token's own expiry (minutes) is the bound, as for chat
 * sockets. STOMP keeps the shared decoder and checks the login itself, to answer {@code session-revoked}.
 */
class RevokedLoginRefusingDecoder implements JwtDecoder {

    private static final OAuth2Error REVOKED = new OAuth2Error(OAuth2ErrorCodes.INVALID_TOKEN,
            "This login was signed out", null);

    private final JwtDecoder decoder;
    private final SessionRevocations revocations;

    RevokedLoginRefusingDecoder(JwtDecoder decoder, SessionRevocations revocations) {
        this.decoder = decoder;
        this.revocations = revocations;
    }

    @Override
    public Jwt decode(String token) {
        Jwt jwt = decoder.decode(token);
        String sid = jwt.getClaimAsString(AccessTokens.SESSION_CLAIM);
        if (sid != null && !revocations.revokedAmong(List.of(sid)).isEmpty()) {
            throw new JwtValidationException(REVOKED.getDescription(), List.of(REVOKED));
        }
        return jwt;
    }
}
