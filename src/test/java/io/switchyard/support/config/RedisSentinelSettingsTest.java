package io.switchyard.support.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.data.redis.RedisProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.mock.env.MockEnvironment;

/** The REDIS_SENTINEL_* variables as Spring Boot's own Redis properties see them. */
class RedisSentinelSettingsTest {

    private final RedisSentinelSettings settings = new RedisSentinelSettings();

    @Test
    void prodWithSentinelVariablesBindsBootsSentinelProperties() {
        MockEnvironment env = prod()
                .withProperty("REDIS_SENTINEL_MASTER", " switchyard ")
                .withProperty("REDIS_SENTINEL_NODES", "sentinel-0:26379,sentinel-1:26379,sentinel-2:26379")
                .withProperty("REDIS_SENTINEL_PASSWORD", "sentinel-secret");

        settings.postProcessEnvironment(env, new SpringApplication());

        RedisProperties.Sentinel sentinel = redis(env).getSentinel();
        assertThat(sentinel).isNotNull();
        assertThat(sentinel.getMaster()).isEqualTo("switchyard");
        assertThat(sentinel.getNodes()).containsExactly("sentinel-0:26379", "sentinel-1:26379", "sentinel-2:26379");
        assertThat(sentinel.getPassword()).isEqualTo("sentinel-secret");
    }

    @Test
    void sentinelPasswordIsOptional() {
        MockEnvironment env = prod().withProperty("REDIS_SENTINEL_MASTER", "switchyard")
                .withProperty("REDIS_SENTINEL_NODES", "sentinel-0:26379");

        settings.postProcessEnvironment(env, new SpringApplication());

        assertThat(redis(env).getSentinel().getPassword()).isNull();
    }

    @Test
    void withoutTheMasterVariableBootStaysInStandaloneMode() {
        MockEnvironment env = prod().withProperty("REDIS_SENTINEL_MASTER", "  ")
                .withProperty("REDIS_SENTINEL_NODES", "sentinel-0:26379");

        settings.postProcessEnvironment(env, new SpringApplication());

        assertThat(redis(env).getSentinel()).as("a blank master must not switch Boot to Sentinel").isNull();
        assertThat(env.getPropertySources().contains(RedisSentinelSettings.PROPERTY_SOURCE)).isFalse();
    }

    @Test
    void onlyTheProdProfileReadsTheVariables() {
        MockEnvironment env = new MockEnvironment().withProperty("REDIS_SENTINEL_MASTER", "switchyard")
                .withProperty("REDIS_SENTINEL_NODES", "sentinel-0:26379");

        settings.postProcessEnvironment(env, new SpringApplication());

        assertThat(redis(env).getSentinel()).isNull();
    }

    @Test
    void anExplicitBootPropertyWins() {
        MockEnvironment env = prod().withProperty("REDIS_SENTINEL_MASTER", "switchyard")
                .withProperty("REDIS_SENTINEL_NODES", "sentinel-0:26379")
                .withProperty("spring.data.redis.sentinel.nodes", "override:26379");

        settings.postProcessEnvironment(env, new SpringApplication());

        assertThat(redis(env).getSentinel().getNodes()).containsExactly("override:26379");
        assertThat(redis(env).getSentinel().getMaster()).isEqualTo("switchyard");
    }

    private static MockEnvironment prod() {
        MockEnvironment env = new MockEnvironment();
        env.setActiveProfiles("prod");
        return env;
    }

    private static RedisProperties redis(MockEnvironment env) {
        return Binder.get(env).bindOrCreate("spring.data.redis", RedisProperties.class);
    }
}
