package io.switchyard.auth;

import java.util.Objects;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

/**
 * The OAuth {@code state}: a random value kept in Redis (so every instance, blue or green, can check it) for a short
 * time, bound to the redirect URI it was issued for, and usable once (GETDEL).
 */
@Component
class LoginStates {

    private static final String PREFIX = "auth:state:";
    private static final int BYTES = 32;

    private final StringRedisTemplate redis;
    private final AuthProperties properties;

    LoginStates(StringRedisTemplate redis, AuthProperties properties) {
        this.redis = redis;
        this.properties = properties;
    }

    String issue(String redirectUri) {
        String state = SecureTokens.random(BYTES);
        redis.opsForValue().set(PREFIX + state, redirectUri, properties.stateTtl());
        return state;
    }

    /** True once for a state we issued for this redirect URI and that has not expired; false ever after. */
    boolean consume(String state, String redirectUri) {
        if (!SecureTokens.isBase64Url(state, SecureTokens.encodedLength(BYTES))) {
            return false;
        }
        String issuedFor = redis.opsForValue().getAndDelete(PREFIX + state);
        return issuedFor != null && Objects.equals(issuedFor, redirectUri);
    }
}
