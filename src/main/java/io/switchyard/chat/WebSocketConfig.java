package io.switchyard.chat;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.messaging.simp.config.ChannelRegistration;
import org.springframework.messaging.simp.config.MessageBrokerRegistry;
import org.springframework.web.socket.config.annotation.EnableWebSocketMessageBroker;
import org.springframework.web.socket.config.annotation.StompEndpointRegistry;
import org.springframework.web.socket.config.annotation.WebSocketMessageBrokerConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketTransportRegistration;
import org.springframework.web.socket.server.standard.ServletServerContainerFactoryBean;

/**
 * STOMP over WebSocket at {@code /ws}. Room topics are served by {@link RoomSubscriptions} (replay, then the Redis
 * fan-out), not by the in-memory broker, which only carries the per-session {@code /user/queue/errors}.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSocketMessageBroker
class WebSocketConfig implements WebSocketMessageBrokerConfigurer {

    /** Frames above this are refused by the transport; message text is limited far below it. */
    static final int MAX_FRAME_BYTES = 16 * 1024;

    private final StompAuthInterceptor auth;
    private final RoomSubscribeInterceptor roomSubscribe;
    private final ChatSessions sessions;
    private final StompFrames frames;
    private final ChatProperties properties;

    WebSocketConfig(StompAuthInterceptor auth, RoomSubscribeInterceptor roomSubscribe, ChatSessions sessions,
            StompFrames frames, ChatProperties properties) {
        this.auth = auth;
        this.roomSubscribe = roomSubscribe;
        this.sessions = sessions;
        this.frames = frames;
        this.properties = properties;
    }

    /** The container's own limit would otherwise close sockets at 8 KB, below the STOMP limit. */
    @Bean
    ServletServerContainerFactoryBean webSocketContainer() {
        var container = new ServletServerContainerFactoryBean();
        container.setMaxTextMessageBufferSize(MAX_FRAME_BYTES);
        container.setMaxBinaryMessageBufferSize(MAX_FRAME_BYTES);
        return container;
    }

    @Override
    public void registerStompEndpoints(StompEndpointRegistry registry) {
        registry.addEndpoint("/ws")
                .setAllowedOriginPatterns(properties.allowedOrigins())
                .addInterceptors(sessions);
        registry.setErrorHandler(new ChatStompErrorHandler(frames));
        // one client's SENDs are stored in the order it sent them
        registry.setPreserveReceiveOrder(true);
    }

    @Override
    public void configureMessageBroker(MessageBrokerRegistry registry) {
        registry.enableSimpleBroker("/queue");
        registry.setApplicationDestinationPrefixes("/app");
        registry.setUserDestinationPrefix("/user");
        registry.setPreservePublishOrder(true);
    }

    @Override
    public void configureClientInboundChannel(ChannelRegistration registration) {
        registration.interceptors(auth, roomSubscribe);
    }

    @Override
    public void configureWebSocketTransport(WebSocketTransportRegistration registration) {
        registration.setMessageSizeLimit(MAX_FRAME_BYTES);
        registration.addDecoratorFactory(sessions);
    }
}
