package io.switchyard.support.error;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.lang.Nullable;

/**
 * The error catalog: every {@code code} a client can receive, once, with where it travels and what it means.
 * docs/api/errors.md is this list for people; ErrorCatalogTest fails when the two differ. One situation has one
 * code on every transport: a body that is not JSON is {@code malformed-body} over REST and STOMP alike.
 *
 * <p>A code that was renamed keeps its previous name in {@code legacyCode} for one release, so a client of the
 * previous release that matches the old name can match it there while blue and green both serve (see errors.md).
 */
public enum ErrorCode {

    // --- requests the server cannot read (REST and STOMP) ---
    BAD_REQUEST("bad-request", HttpStatus.BAD_REQUEST, Set.of(Transport.REST),
            "The request is malformed at the HTTP level (e.g. an encoded NUL in the path)."),
    MALFORMED_BODY("malformed-body", HttpStatus.BAD_REQUEST, Set.of(Transport.REST, Transport.STOMP_ERRORS_QUEUE),
            "The body is missing, not JSON, has a JSON key twice, or a field of the wrong type.",
            "malformed-message"),
    VALIDATION_FAILED("validation-failed", HttpStatus.BAD_REQUEST, Set.of(Transport.REST),
            "Fields break their rules; `errors` lists each `{field, message}` (a room name: 1-50 characters, "
                    + "no control characters).",
            "invalid-room-name"),
    MISSING_PARAMETER("missing-parameter", HttpStatus.BAD_REQUEST, Set.of(Transport.REST),
            "A required query parameter or header is missing."),
    TYPE_MISMATCH("type-mismatch", HttpStatus.BAD_REQUEST, Set.of(Transport.REST),
            "A path or query parameter has the wrong type (e.g. a room id that is not a number)."),
    INVALID_LIMIT("invalid-limit", HttpStatus.BAD_REQUEST, Set.of(Transport.REST),
            "`limit` is below 1 (above the maximum it is capped, not refused)."),
    INVALID_CURSOR("invalid-cursor", HttpStatus.BAD_REQUEST, Set.of(Transport.REST),
            "A paging cursor is not one the server handed out."),
    PAYLOAD_TOO_LARGE("payload-too-large", HttpStatus.PAYLOAD_TOO_LARGE, Set.of(Transport.REST),
            "The body is larger than the server accepts (1 MB)."),
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", HttpStatus.UNSUPPORTED_MEDIA_TYPE, Set.of(Transport.REST),
            "The body is not `application/json`."),
    NOT_ACCEPTABLE("not-acceptable", HttpStatus.NOT_ACCEPTABLE, Set.of(Transport.REST),
            "The `Accept` header excludes JSON."),
    METHOD_NOT_ALLOWED("method-not-allowed", HttpStatus.METHOD_NOT_ALLOWED, Set.of(Transport.REST),
            "The route exists, not with this method."),
    NOT_FOUND("not-found", HttpStatus.NOT_FOUND, Set.of(Transport.REST), "No such route."),
    TOO_MANY_REQUESTS("too-many-requests", HttpStatus.TOO_MANY_REQUESTS, Set.of(Transport.REST),
            "Too many requests: retry later (the 429 of nginx's own rate limits has no `code`)."),
    CLIENT_ERROR("client-error", null, Set.of(Transport.REST),
            "Any other 4xx the framework raises (the HTTP status says which)."),

    // --- who you are ---
    UNAUTHORIZED("unauthorized", HttpStatus.UNAUTHORIZED, Set.of(Transport.REST, Transport.STOMP_ERROR_FRAME),
            "No access token: `Authorization: Bearer <token>` (REST header; STOMP: in the CONNECT frame)."),
    INVALID_TOKEN("invalid-token", HttpStatus.UNAUTHORIZED, Set.of(Transport.REST, Transport.STOMP_ERROR_FRAME),
            "The access token is tampered, expired, not ours, or its login was signed out: refresh, or sign in."),
    FORBIDDEN("forbidden", HttpStatus.FORBIDDEN, Set.of(Transport.REST), "Access denied."),
    CORS_ORIGIN_NOT_ALLOWED("cors-origin-not-allowed", HttpStatus.FORBIDDEN, Set.of(Transport.REST),
            "A CORS preflight from an origin (or with a method or header) the server does not allow."),
    TOKEN_EXPIRED("token-expired", null, Set.of(Transport.STOMP_ERROR_FRAME),
            "The session's access token expired (`reconnect: true`, `refresh: true`): refresh, reconnect, resume."),
    SESSION_REVOKED("session-revoked", null, Set.of(Transport.STOMP_ERROR_FRAME),
            "The login was signed out (logout, sign-out everywhere, account deleted, refresh-token reuse): sign in."),

    // --- login (docs/auth.md) ---
    REDIRECT_URI_NOT_ALLOWED("redirect-uri-not-allowed", HttpStatus.BAD_REQUEST, Set.of(Transport.REST),
            "The redirect URI is not on the server's allow-list."),
    INVALID_STATE("invalid-state", HttpStatus.BAD_REQUEST, Set.of(Transport.REST),
            "The login `state` is unknown, expired, used, or for another redirect URI: start again."),
    INVALID_CODE_VERIFIER("invalid-code-verifier", HttpStatus.BAD_REQUEST, Set.of(Transport.REST),
            "`codeVerifier` is missing or not the one answered with this state: start again."),
    KAKAO_INVALID_GRANT("kakao-invalid-grant", HttpStatus.UNAUTHORIZED, Set.of(Transport.REST),
            "Kakao refuses the code (expired, reused, or its PKCE check failed)."),
    INVALID_REFRESH_TOKEN("invalid-refresh-token", HttpStatus.UNAUTHORIZED, Set.of(Transport.REST),
            "The refresh token is unknown, expired, malformed or revoked: sign in again."),
    REFRESH_TOKEN_REUSED("refresh-token-reused", HttpStatus.UNAUTHORIZED, Set.of(Transport.REST),
            "An already rotated refresh token: its whole login is now signed out."),
    KAKAO_BAD_GATEWAY("kakao-bad-gateway", HttpStatus.BAD_GATEWAY, Set.of(Transport.REST),
            "Kakao answered 5xx or something unreadable: retry later."),
    KAKAO_REJECTED("kakao-rejected", HttpStatus.BAD_GATEWAY, Set.of(Transport.REST),
            "Kakao refuses the server's request (its configuration): not the client's fault."),
    KAKAO_UNAVAILABLE("kakao-unavailable", HttpStatus.SERVICE_UNAVAILABLE, Set.of(Transport.REST),
            "Kakao unreachable or too slow: retry later."),
    KAKAO_NOT_CONFIGURED("kakao-not-configured", HttpStatus.SERVICE_UNAVAILABLE, Set.of(Transport.REST),
            "Kakao login is not configured on this server."),
    STORE_UNAVAILABLE("store-unavailable", HttpStatus.SERVICE_UNAVAILABLE, Set.of(Transport.REST),
            "Redis or the database is down during a login, refresh, logout or account change: retry shortly."),

    // --- users, rooms, messages ---
    USER_NOT_FOUND("user-not-found", HttpStatus.NOT_FOUND, Set.of(Transport.REST),
            "The signed-in user no longer exists (the account was deleted)."),
    ROOM_NOT_FOUND("room-not-found", HttpStatus.NOT_FOUND, Set.of(Transport.REST, Transport.STOMP_ERRORS_QUEUE),
            "There is no such room."),
    NOT_A_MEMBER("not-a-member", HttpStatus.FORBIDDEN, Set.of(Transport.REST, Transport.STOMP_ERRORS_QUEUE),
            "You are not a member of this room: join it first."),
    EMPTY_MESSAGE("empty-message", null, Set.of(Transport.STOMP_ERRORS_QUEUE), "A message needs some text."),
    MESSAGE_TOO_LONG("message-too-long", null, Set.of(Transport.STOMP_ERRORS_QUEUE),
            "A message has at most 1000 characters."),
    INVALID_MESSAGE_KEY("invalid-message-key", null, Set.of(Transport.STOMP_ERRORS_QUEUE),
            "`message-key` is not 1-100 visible ASCII characters."),
    INVALID_LAST_ID("invalid-last-id", null, Set.of(Transport.STOMP_ERRORS_QUEUE), "`last-id` is not a message id."),
    UNKNOWN_DESTINATION("unknown-destination", null, Set.of(Transport.STOMP_ERRORS_QUEUE),
            "SEND only to `/app/rooms/{roomId}`, SUBSCRIBE only to `/topic/rooms/{roomId}` and `/user/queue/errors`."),
    REPLAY_FAILED("replay-failed", null, Set.of(Transport.STOMP_ERRORS_QUEUE),
            "The missed messages could not be read: subscribe again."),
    REPLAY_BUSY("replay-busy", null, Set.of(Transport.STOMP_ERRORS_QUEUE),
            "Too many resumes at once: subscribe again in a moment."),
    BAD_FRAME("bad-frame", null, Set.of(Transport.STOMP_ERRORS_QUEUE, Transport.STOMP_ERROR_FRAME),
            "A STOMP frame the server cannot process (a SUBSCRIBE without `id`: errors queue; else ERROR frame)."),
    SERVER_RESTART("server-restart", null, Set.of(Transport.STOMP_ERROR_FRAME),
            "The instance is shutting down (`reconnect: true`): reconnect at once and resume with `last-id`."),

    // --- the server's fault ---
    INTERNAL_ERROR("internal-error", HttpStatus.INTERNAL_SERVER_ERROR,
            Set.of(Transport.REST, Transport.STOMP_ERRORS_QUEUE), "Something went wrong on the server: retry.");

    /** Where a code travels (the shapes: docs/api/errors.md). */
    public enum Transport {
        /** An {@code application/problem+json} response (RFC 9457) with {@code code}. */
        REST,
        /** A JSON body {@code {code, detail, receiptId, destination}} on {@code /user/queue/errors}; the session stays. */
        STOMP_ERRORS_QUEUE,
        /** A STOMP ERROR frame with the {@code code} header and the same JSON body; the socket closes. */
        STOMP_ERROR_FRAME
    }

    private final String code;
    private final HttpStatus status;
    private final Set<Transport> transports;
    private final String meaning;
    private final String legacyCode;

    ErrorCode(String code, HttpStatus status, Set<Transport> transports, String meaning) {
        this(code, status, transports, meaning, null);
    }

    ErrorCode(String code, HttpStatus status, Set<Transport> transports, String meaning, String legacyCode) {
        this.code = code;
        this.status = status;
        this.transports = EnumSet.copyOf(transports);
        this.meaning = meaning;
        this.legacyCode = legacyCode;
    }

    public String code() {
        return code;
    }

    /** The HTTP status of its REST answer; null for codes that travel over STOMP only, or take the status given. */
    @Nullable
    public HttpStatus status() {
        return status;
    }

    public Set<Transport> transports() {
        return Set.copyOf(transports);
    }

    public String meaning() {
        return meaning;
    }

    /** The name the previous release used for this situation, sent beside {@code code} for one release. */
    @Nullable
    public String legacyCode() {
        return legacyCode;
    }

    public static Optional<ErrorCode> byCode(String code) {
        return Arrays.stream(values()).filter(value -> value.code.equals(code)).findFirst();
    }
}
