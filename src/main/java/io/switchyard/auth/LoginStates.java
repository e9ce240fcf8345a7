package io.switchyard.auth;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

/**
 * The OAuth {@code state} and its PKCE verifier: random values kept in Redis (so every instance, blue or green, can
 * check them) for a short time, bound to the redirect URI they were issued for, and usable once (GETDEL).
 *
 * <p>The verifier is answered to the caller of authorize-url only (the authorize URL carries its S256 challenge):
 * the login call must bring it back, so a code and state taken from the redirect are useless to anyone else.
 * The server sends it on to Kakao with the code exchange, which checks it against the challenge.
 */
@Component
class LoginStates {

    /** Not the previous releases' {@code auth:state:}: their values do not hold a verifier. */
    private static final String PREFIX = "auth:login:";
    private static final int BYTES = 32;

    private final StringRedisTemplate redis;
    private final AuthProperties properties;

    LoginStates(StringRedisTemplate redis, AuthProperties properties) {
        this.redis = redis;
        this.properties = properties;
    }

    Issued issue(String redirectUri) {
        String state = SecureTokens.random(BYTES);
        String verifier = SecureTokens.random(BYTES); // 43 characters of the unreserved set, as RFC 7636 asks
        redis.opsForValue().set(PREFIX + state, verifier + " " + redirectUri, properties.stateTtl());
        return new Issued(state, verifier, SecureTokens.s256(verifier));
    }

    record Issued(String state, String codeVerifier, String codeChallenge) {
    }

    /**
     * Spends the state. The verifier to send to Kakao once for a state we issued for this redirect URI that has not
     * expired; null ever after, or when the state is unknown. Whether the caller's verifier matches is
     * {@link Consumed#callerMatches}.
     */
    Consumed consume(String state, String redirectUri, String callerVerifier) {
        if (!SecureTokens.isBase64Url(state, SecureTokens.encodedLength(BYTES))) {
            return null;
        }
        String value = redis.opsForValue().getAndDelete(PREFIX + state);
        if (value == null) {
            return null;
        }
        int space = value.indexOf(' ');
        String verifier = value.substring(0, space);
        if (!value.substring(space + 1).equals(redirectUri)) {
            return null;
        }
        boolean matches = callerVerifier == null ? !properties.requireCodeVerifier()
                : SecureTokens.sameSecret(verifier, callerVerifier);
        return new Consumed(verifier, matches);
    }

    /** @param callerMatches the caller proved it is the one the state was issued to (or need not, see settings) */
    record Consumed(String codeVerifier, boolean callerMatches) {
    }
}
