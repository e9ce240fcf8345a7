package io.switchyard.chat;

import java.security.Principal;

/** The user of a STOMP session, from the access token presented at CONNECT; the name is the user id. */
record ChatPrincipal(long userId) implements Principal {

    @Override
    public String getName() {
        return Long.toString(userId);
    }

    static long userId(Principal principal) {
        if (principal instanceof ChatPrincipal chat) {
            return chat.userId();
        }
        throw new ChatRejection("unauthorized", "CONNECT with an access token first.");
    }
}
