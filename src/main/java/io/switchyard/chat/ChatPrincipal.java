package io.switchyard.chat;

import io.switchyard.support.error.ErrorCode;
import java.security.Principal;
import java.time.Instant;

/**
 * The user of a STOMP session, from the access token presented at CONNECT; the name is the user id.
 *
 * @param sid       the login the token belongs to ({@code sid} claim), null for tokens bound to none
 * @param expiresAt when the token, and so the session, ends
 */
record ChatPrincipal(long userId, String sid, Instant expiresAt) implements Principal {

    @Override
    public String getName() {
        return Long.toString(userId);
    }

    static long userId(Principal principal) {
        if (principal instanceof ChatPrincipal chat) {
            return chat.userId();
        }
        throw new ChatRejection(ErrorCode.UNAUTHORIZED, "CONNECT with an access token first.");
    }
}
