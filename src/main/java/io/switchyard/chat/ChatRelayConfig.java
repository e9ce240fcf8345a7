package io.switchyard.chat;

import java.util.List;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;

@Configuration(proxyBeanMethods = false)
class ChatRelayConfig {

    @Bean
    RedisMessageListenerContainer chatListenerContainer(RedisConnectionFactory connections, ChatRelay relay) {
        var container = new RedisMessageListenerContainer();
        container.setConnectionFactory(connections);
        container.setTaskExecutor(relay.dispatcher());
        container.addMessageListener(relay, List.of(new ChannelTopic(relay.channel()),
                new ChannelTopic(relay.membershipChannel())));
        return container;
    }
}
