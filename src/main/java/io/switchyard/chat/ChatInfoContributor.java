package io.switchyard.chat;

import java.util.Map;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/info} → {@code chat.openSockets}: the deploy's drain step reads it on the old color. A WebSocket
 * tunnel through an old nginx worker never ends by itself, so the drain stops waiting once every connection left to
 * the old color is one of these sockets: stopping the color hands them over with the reconnect hint.
 */
@Component
class ChatInfoContributor implements InfoContributor {

    private final ChatSessions sessions;

    ChatInfoContributor(ChatSessions sessions) {
        this.sessions = sessions;
    }

    @Override
    public void contribute(Info.Builder builder) {
        builder.withDetail("chat", Map.of("openSockets", sessions.openCount(), "draining", sessions.draining()));
    }
}
