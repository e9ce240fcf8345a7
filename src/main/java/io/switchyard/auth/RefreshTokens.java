package io.switchyard.auth;

import java.util.List;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;

/**
 * Rotating refresh tokens in Redis. A token is {@code <family>.<secret>}; Redis keeps only its SHA-256, the user and
 * whether it is still the family's current token. Refreshing marks the presented token rotated and issues the next
 * one of the same family; presenting a rotated token again means two parties hold it (theft or a replay), so the
 * whole family is revoked. Each step is one Lua script, so two concurrent refreshes with one token cannot both win.
 * Keys of one family share a hash tag, which keeps the scripts valid on a Redis cluster.
 */
@Component
class RefreshTokens {

    private static final int FAMILY_BYTES = 16;
    private static final int SECRET_BYTES = 32;

    private static final RedisScript<String> ISSUE = RedisScript.of("""
            redis.call('HSET', KEYS[1], 'user', ARGV[1], 'state', 'active')
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
            return 'issued'
            """, String.class);

    // KEYS: presented token, family, next token. ARGV: ttl in ms.
    private static final RedisScript<String> ROTATE = RedisScript.of("""
            local user = redis.call('HGET', KEYS[1], 'user')
            if not user then return 'unknown' end
            if redis.call('EXISTS', KEYS[2]) == 0 then return 'revoked' end
            if redis.call('HGET', KEYS[1], 'state') ~= 'active' then
              redis.call('DEL', KEYS[2])
              return 'reused'
            end
            redis.call('HSET', KEYS[1], 'state', 'rotated')
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            redis.call('HSET', KEYS[3], 'user', user, 'state', 'active')
            redis.call('PEXPIRE', KEYS[3], ARGV[1])
            redis.call('PEXPIRE', KEYS[2], ARGV[1])
            return 'rotated:' .. user
            """, String.class);

    // Only a holder of a real token of the family may end it: the family id alone is not a secret.
    private static final RedisScript<String> REVOKE = RedisScript.of("""
            if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
            redis.call('DEL', KEYS[2])
            return 'revoked'
            """, String.class);

    private final StringRedisTemplate redis;
    private final AuthProperties properties;

    RefreshTokens(StringRedisTemplate redis, AuthProperties properties) {
        this.redis = redis;
        this.properties = properties;
    }

    /** Starts a new family (a new login) and returns its first token. */
    String issue(long userId) {
        String family = SecureTokens.random(FAMILY_BYTES);
        String token = family + "." + SecureTokens.random(SECRET_BYTES);
        redis.execute(ISSUE, List.of(tokenKey(family, token), familyKey(family)),
                Long.toString(userId), ttlMillis());
        return token;
    }

    Rotation rotate(String presented) {
        String family = familyOf(presented);
        if (family == null) {
            return Rotation.rejected(Outcome.UNKNOWN);
        }
        String next = family + "." + SecureTokens.random(SECRET_BYTES);
        String result = redis.execute(ROTATE,
                List.of(tokenKey(family, presented), familyKey(family), tokenKey(family, next)), ttlMillis());
        if (result != null && result.startsWith("rotated:")) {
            return new Rotation(Outcome.ROTATED, Long.parseLong(result.substring("rotated:".length())), next);
        }
        return Rotation.rejected(switch (String.valueOf(result)) {
            case "reused" -> Outcome.REUSED;
            case "revoked" -> Outcome.REVOKED;
            default -> Outcome.UNKNOWN;
        });
    }

    /** Revokes the presented token's whole family; false when the token is not one of ours. */
    boolean revoke(String presented) {
        String family = familyOf(presented);
        if (family == null) {
            return false;
        }
        return "revoked".equals(redis.execute(REVOKE, List.of(tokenKey(family, presented), familyKey(family))));
    }

    private String ttlMillis() {
        return Long.toString(properties.refreshTokenTtl().toMillis());
    }

    private static String familyOf(String token) {
        if (token == null) {
            return null;
        }
        int dot = token.indexOf('.');
        if (dot < 0) {
            return null;
        }
        String family = token.substring(0, dot);
        String secret = token.substring(dot + 1);
        if (!SecureTokens.isBase64Url(family, SecureTokens.encodedLength(FAMILY_BYTES))
                || !SecureTokens.isBase64Url(secret, SecureTokens.encodedLength(SECRET_BYTES))) {
            return null;
        }
        return family;
    }

    private static String tokenKey(String family, String token) {
        return "auth:rt:{" + family + "}:" + SecureTokens.sha256(token);
    }

    private static String familyKey(String family) {
        return "auth:rtf:{" + family + "}";
    }

    enum Outcome { ROTATED, UNKNOWN, REVOKED, REUSED }

    record Rotation(Outcome outcome, long userId, String token) {

        static Rotation rejected(Outcome outcome) {
            return new Rotation(outcome, 0, null);
        }
    }
}
