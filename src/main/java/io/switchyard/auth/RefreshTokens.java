package io.switchyard.auth;

import java.util.ArrayList;
import java.util.List;
import org.springframework.data.redis.core.Cursor;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;

/**
 * Rotating refresh tokens in Redis. A token is {@code <family>.<secret>}: the family is the login, ended by logout or
 * by its absolute lifetime ({@code session-max-age}, set at login and never renewed); each token also expires when
 * unused for {@code refresh-token-ttl}. Redis keeps only token hashes, the user and each token's state.
 *
 * <p>Refreshing marks the presented token rotated and issues the next one of the family. Presenting the rotated
 * token again within {@code refresh-reuse-grace}, while its successor is still the family's current token, answers
 * that same successor (two tabs, an app resuming, a retry after a lost response: one lineage, nobody signed out).
 * The successor waits for that in Redis sealed with a key derived from the rotated token, so only its holder can
 * open it. Any other reuse means two parties hold the token (theft or a replay): the whole family is revoked.
 * Each step is one Lua script, so concurrent refreshes are serialized. Keys of one family share a hash tag, which
 * keeps the scripts valid on a Redis cluster.
 */
@Component
class RefreshTokens {

    private static final int FAMILY_BYTES = 16;
    private static final int SECRET_BYTES = 32;
    private static final String FAMILY_PREFIX = "auth:rtf:";
    private static final int SCAN_BATCH = 500;

    // KEYS: token, family, current. ARGV: user, token ttl ms, family ttl ms, token hash.
    private static final RedisScript<String> ISSUE = RedisScript.of("""
            redis.call('HSET', KEYS[1], 'user', ARGV[1], 'state', 'active')
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
            redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[3])
            return 'issued'
            """, String.class);

    // KEYS: presented token, family, next token, presented token's grace, current.
    // ARGV: token ttl ms, grace ms, sealed next token, next token hash.
    private static final RedisScript<String> ROTATE = RedisScript.of("""
            local user = redis.call('HGET', KEYS[1], 'user')
            if not user then return 'unknown' end
            local left = redis.call('PTTL', KEYS[2])
            if left == -2 then return 'revoked' end
            if redis.call('HGET', KEYS[1], 'state') == 'active' then
              local ttl = tonumber(ARGV[1])
              if left > 0 and left < ttl then ttl = left end
              redis.call('HSET', KEYS[1], 'state', 'rotated', 'next', ARGV[4])
              redis.call('PEXPIRE', KEYS[1], ttl)
              redis.call('HSET', KEYS[3], 'user', user, 'state', 'active')
              redis.call('PEXPIRE', KEYS[3], ttl)
              redis.call('SET', KEYS[5], ARGV[4], 'PX', ttl)
              if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[2]) end
              return 'rotated:' .. user
            end
            local sealed = redis.call('GET', KEYS[4])
            if sealed and redis.call('GET', KEYS[5]) == redis.call('HGET', KEYS[1], 'next') then
              return 'grace:' .. user .. ':' .. sealed
            end
            redis.call('DEL', KEYS[2], KEYS[5])
            return 'reused'
            """, String.class);

    // Only a holder of a real token of the family may end it: the family id alone is not a secret.
    private static final RedisScript<String> REVOKE = RedisScript.of("""
            if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
            redis.call('DEL', KEYS[2], KEYS[3])
            return 'revoked'
            """, String.class);

    private final StringRedisTemplate redis;
    private final AuthProperties properties;

    RefreshTokens(StringRedisTemplate redis, AuthProperties properties) {
        this.redis = redis;
        this.properties = properties;
    }

    /** Starts a new family (a new login) and returns its first token. */
    Issued issue(long userId) {
        String family = SecureTokens.random(FAMILY_BYTES);
        String token = family + "." + SecureTokens.random(SECRET_BYTES);
        redis.execute(ISSUE, List.of(tokenKey(family, token), familyKey(family), currentKey(family)),
                Long.toString(userId), millis(properties.refreshTokenTtl().toMillis()),
                millis(properties.sessionMaxAge().toMillis()), SecureTokens.sha256(token));
        return new Issued(token, family);
    }

    /** @param family the login: the access tokens' {@code sid} */
    record Issued(String token, String family) {
    }

    Rotation rotate(String presented) {
        String family = familyOf(presented);
        if (family == null) {
            return Rotation.rejected(Outcome.UNKNOWN);
        }
        String next = family + "." + SecureTokens.random(SECRET_BYTES);
        String result = redis.execute(ROTATE,
                List.of(tokenKey(family, presented), familyKey(family), tokenKey(family, next),
                        graceKey(family, presented), currentKey(family)),
                millis(properties.refreshTokenTtl().toMillis()), millis(properties.refreshReuseGrace().toMillis()),
                SecureTokens.seal(next, presented), SecureTokens.sha256(next));
        String outcome = String.valueOf(result);
        if (outcome.startsWith("rotated:")) {
            return new Rotation(Outcome.ROTATED, Long.parseLong(outcome.substring("rotated:".length())), next, family);
        }
        if (outcome.startsWith("grace:")) {
            String[] parts = outcome.split(":", 3);
            String successor = SecureTokens.unseal(parts[2], presented);
            if (successor != null) {
                return new Rotation(Outcome.REPEATED, Long.parseLong(parts[1]), successor, family);
            }
        }
        return Rotation.rejected(switch (outcome) {
            case "reused" -> Outcome.REUSED;
            case "revoked" -> Outcome.REVOKED;
            default -> Outcome.UNKNOWN;
        });
    }

    /** Revokes the presented token's whole family; its family (the login) when it was ours, else null. */
    String revoke(String presented) {
        String family = familyOf(presented);
        if (family == null) {
            return null;
        }
        String result = redis.execute(REVOKE,
                List.of(tokenKey(family, presented), familyKey(family), currentKey(family)));
        return "revoked".equals(result) ? family : null;
    }

    /**
     * Revokes every login of the user (sign out everywhere, account deletion); returns their families. Logins are
     * found by scanning the family keys, which hold the user id: that finds the logins of every release, including
     * those issued before this one, at the cost of one pass over the login keys for this rare call.
     */
    List<String> revokeAllOf(long userId) {
        String user = Long.toString(userId);
        List<String> revoked = new ArrayList<>();
        List<String> batch = new ArrayList<>(SCAN_BATCH);
        try (Cursor<String> keys = redis.scan(ScanOptions.scanOptions().match(FAMILY_PREFIX + "*")
                .count(SCAN_BATCH).build())) {
            while (keys.hasNext()) {
                batch.add(keys.next());
                if (batch.size() == SCAN_BATCH || !keys.hasNext()) {
                    revoked.addAll(revokeOwned(batch, user));
                    batch.clear();
                }
            }
        }
        return revoked;
    }

    private List<String> revokeOwned(List<String> familyKeys, String user) {
        List<String> owners = redis.opsForValue().multiGet(familyKeys);
        List<String> revoked = new ArrayList<>();
        for (int i = 0; owners != null && i < familyKeys.size(); i++) {
            if (user.equals(owners.get(i))) {
                String key = familyKeys.get(i);
                String family = key.substring(FAMILY_PREFIX.length() + 1, key.length() - 1);
                // one DEL per family: its keys share a hash tag, so this holds on a Redis cluster too
                redis.delete(List.of(familyKey(family), currentKey(family)));
                revoked.add(family);
            }
        }
        return revoked;
    }

    private static String millis(long value) {
        return Long.toString(value);
    }

    /** The family of a well-formed token, else null. */
    static String familyOf(String token) {
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

    private static String graceKey(String family, String token) {
        return "auth:rtg:{" + family + "}:" + SecureTokens.sha256(token);
    }

    private static String familyKey(String family) {
        return FAMILY_PREFIX + "{" + family + "}";
    }

    private static String currentKey(String family) {
        return "auth:rtc:{" + family + "}";
    }

    /** REPEATED: a just-rotated token presented again within the grace window; {@code token} is its successor. */
    enum Outcome { ROTATED, REPEATED, UNKNOWN, REVOKED, REUSED }

    record Rotation(Outcome outcome, long userId, String token, String family) {

        static Rotation rejected(Outcome outcome) {
            return new Rotation(outcome, 0, null, null);
        }
    }
}
