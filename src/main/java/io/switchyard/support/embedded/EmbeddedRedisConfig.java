package io.switchyard.support.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.data.redis.RedisConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import redis.embedded.RedisServer;

/**
 * The embedded default's Redis: the redis-server binary shipped inside the embedded-redis jar, started on a free
 * loopback port for this process and stopped with it.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "switchyard.embedded.redis", havingValue = "true")
class EmbeddedRedisConfig {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedRedisConfig.class);

    @Bean(destroyMethod = "stop")
    RedisServer embeddedRedisServer() throws IOException {
        int port = freeLoopbackPort();
        RedisServer server = RedisServer.newRedisServer()
                .port(port)
                .bind("127.0.0.1")
                .setting("save \"\"")
                .setting("appendonly no")
                .build();
        server.start();
        log.info("embedded Redis on 127.0.0.1:{}", port);
        return server;
    }

    @Bean
    RedisConnectionDetails embeddedRedisConnectionDetails(RedisServer embeddedRedisServer) {
        int port = embeddedRedisServer.ports().get(0);
        return new RedisConnectionDetails() {
            @Override
            public Standalone getStandalone() {
                return Standalone.of("127.0.0.1", port);
            }
        };
    }

    private static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port for the embedded Redis", e);
        }
    }
}
