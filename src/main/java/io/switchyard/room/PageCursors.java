package io.switchyard.room;

import io.switchyard.support.error.ApiException;
import io.switchyard.support.error.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * Opaque cursors of the room lists: base64url of the position of the last item of a page (a room id; a member's
 * joining time and id). Clients pass them back unchanged; anything else is {@code invalid-cursor}.
 */
final class PageCursors {

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private PageCursors() {
    }

    record MemberPosition(Instant joinedAt, long userId) {
    }

    static String ofRoom(long roomId) {
        return encode("r" + roomId);
    }

    static long roomId(String cursor) {
        String value = decode(cursor);
        try {
            if (value.startsWith("r")) {
                return Long.parseLong(value.substring(1));
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw invalid();
    }

    static String ofMember(Instant joinedAt, long userId) {
        long micros = joinedAt.getEpochSecond() * 1_000_000 + joinedAt.getNano() / 1_000;
        return encode("m" + micros + "." + userId);
    }

    static MemberPosition member(String cursor) {
        String value = decode(cursor);
        int dot = value.indexOf('.');
        try {
            if (value.startsWith("m") && dot > 1) {
                long micros = Long.parseLong(value.substring(1, dot));
                Instant joinedAt = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000),
                        Math.floorMod(micros, 1_000_000) * 1_000L);
                return new MemberPosition(joinedAt, Long.parseLong(value.substring(dot + 1)));
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw invalid();
    }

    private static String encode(String value) {
        return ENCODER.encodeToString(value.getBytes(StandardCharsets.US_ASCII));
    }

    private static String decode(String cursor) {
        try {
            return new String(DECODER.decode(cursor), StandardCharsets.US_ASCII);
        } catch (IllegalArgumentException notBase64) {
            throw invalid();
        }
    }

    private static ApiException invalid() {
        return new ApiException(ErrorCode.INVALID_CURSOR, "cursor must be a nextCursor this server answered.");
    }
}
