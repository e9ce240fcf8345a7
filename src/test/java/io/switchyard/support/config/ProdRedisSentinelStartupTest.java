package io.switchyard.support.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.data.redis.RedisAutoConfiguration;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ClassPathResource;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * application-prod.yml's Redis settings with only the Sentinel variables set (no REDIS_HOST), as deploy/k8s
 * configures a pod: Boot's Redis auto-configuration must start in Sentinel mode. Connects to nothing (Lettuce
 * connects lazily).
 */
class ProdRedisSentinelStartupTest {

    @Test
    void prodProfileWithOnlySentinelVariablesStartsBootsRedisInSentinelMode() throws IOException {
        StandardEnvironment env = new StandardEnvironment();
        env.setActiveProfiles("prod");
        env.getPropertySources().addFirst(new MapPropertySource("pod", Map.of(
                "REDIS_SENTINEL_MASTER", "switchyard",
                "REDIS_SENTINEL_NODES", "127.0.0.1:26379,127.0.0.1:26380")));
        new YamlPropertySourceLoader().load("application-prod.yml", new ClassPathResource("application-prod.yml"))
                .forEach(env.getPropertySources()::addLast);
        new RedisSentinelSettings().postProcessEnvironment(env, new SpringApplication());

        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(RedisAutoConfiguration.class))
                .withPropertyValues(
                        "spring.data.redis.host=" + env.getProperty("spring.data.redis.host"),
                        "spring.data.redis.sentinel.master=" + env.getProperty("spring.data.redis.sentinel.master"),
                        "spring.data.redis.sentinel.nodes=" + env.getProperty("spring.data.redis.sentinel.nodes"))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    LettuceConnectionFactory factory =
                            (LettuceConnectionFactory) context.getBean(RedisConnectionFactory.class);
                    assertThat(factory.getSentinelConfiguration()).isNotNull();
                    assertThat(factory.getSentinelConfiguration().getMaster().getName()).isEqualTo("switchyard");
                });
    }
}
