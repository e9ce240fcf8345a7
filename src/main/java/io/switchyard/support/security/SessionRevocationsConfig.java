package io.switchyard.support.security;

import java.util.List;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;

@Configuration(proxyBeanMethods = false)
class SessionRevocationsConfig {

    @Bean
    RedisMessageListenerContainer sessionRevocationsListener(RedisConnectionFactory connections,
            SessionRevocations revocations) {
        var container = new RedisMessageListenerContainer();
        container.setConnectionFactory(connections);
        container.addMessageListener(revocations, List.of(new ChannelTopic(SessionRevocations.CHANNEL)));
        return container;
    }
}
