package io.switchyard.chat;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageChannel;
import org.springframework.messaging.simp.broker.OrderedMessageChannelDecorator;
import org.springframework.stereotype.Component;

/**
 * Frames to one client session, in the order they are handed over. The outbound channel is backed by a thread
 * pool that would otherwise reorder them; Spring's per-session decorator sends one at a time.
 */
@Component
class ClientChannel {

    private final ObjectProvider<MessageChannel> outboundProvider;
    private final Map<String, OrderedMessageChannelDecorator> sessions = new ConcurrentHashMap<>();
    private volatile MessageChannel outbound;

    // a provider: the channel belongs to the broker configuration, which itself needs our interceptors
    ClientChannel(@Qualifier("clientOutboundChannel") ObjectProvider<MessageChannel> outboundProvider) {
        this.outboundProvider = outboundProvider;
    }

    void send(String sessionId, Message<?> message) {
        sessions.computeIfAbsent(sessionId, id -> new OrderedMessageChannelDecorator(outbound(),
                LogFactory.getLog(ClientChannel.class))).send(message);
    }

    void forget(String sessionId) {
        sessions.remove(sessionId);
    }

    private MessageChannel outbound() {
        MessageChannel channel = outbound;
        if (channel == null) {
            channel = outboundProvider.getObject();
            // the decorator waits for this interceptor's callback before sending the next frame
            OrderedMessageChannelDecorator.configureInterceptor(channel, true);
            outbound = channel;
        }
        return channel;
    }
}
