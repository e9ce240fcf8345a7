package io.switchyard.chat;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.messaging.simp.config.ChannelRegistration;
import org.springframework.messaging.simp.config.MessageBrokerRegistry;
import org.springframework.scheduling.TaskScheduler;
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
    static final String ENDPOINT = "/ws";
    /** SEND destinations: {@code @MessageMapping} values under this prefix. */
    static final String APP_PREFIX = "/app";
    static final String BROKER_PREFIX = "/queue";
    static final String USER_PREFIX = "/user";

    private final StompAuthInterceptor auth;
    private final RoomSubscribeInterceptor roomSubscribe;
    private final ChatSessions sessions;
    private final StompFrames frames;
    private final ChatProperties properties;
    private final TaskScheduler scheduler;

    WebSocketConfig(StompAuthInterceptor auth, RoomSubscribeInterceptor roomSubscribe, ChatSessions sessions,
            StompFrames frames, ChatProperties properties, @Qualifier("chatScheduler") TaskScheduler scheduler) {
        this.auth = auth;
        this.roomSubscribe = roomSubscribe;
        this.sessions = sessions;
        this.frames = frames;
        this.properties = properties;
        this.scheduler = scheduler;
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
        registry.addEndpoint(ENDPOINT)
                .setAllowedOriginPatterns(properties.allowedOrigins())
                .addInterceptors(sessions);
        registry.setErrorHandler(new ChatStompErrorHandler(frames));
        // one client's SENDs are stored in the order it sent them
        registry.setPreserveReceiveOrder(true);
    }

    @Override
    public void configureMessageBroker(MessageBrokerRegistry registry) {
        // Heart-beats both ways (what the client asks for, no more often than this): a half-open socket is noticed
        // within three missed beats by the server, and by nginx's /ws timeouts. The broker's timer needs a scheduler.
        long beat = properties.heartbeat().toMillis();
        registry.enableSimpleBroker(BROKER_PREFIX).setHeartbeatValue(new long[] {beat, beat}).setTaskScheduler(scheduler);
        registry.setApplicationDestinationPrefixes(APP_PREFIX);
        registry.setUserDestinationPrefix(USER_PREFIX);
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
