package io.switchyard.support.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.StringUtils;

/**
 * Redis behind Sentinel in the {@code prod} profile: when {@code REDIS_SENTINEL_MASTER} is set, maps the
 * {@code REDIS_SENTINEL_*} variables onto Spring Boot's own {@code spring.data.redis.sentinel.*}, and Boot's
 * Lettuce configuration does the rest (asks the sentinels for the master, follows it after a failover).
 *
 * <p>Not in application-prod.yml: a blank {@code spring.data.redis.sentinel.master} there would still switch Boot
 * to Sentinel mode, so the properties may only exist when the variables do. Added last, so an explicit
 * {@code spring.data.redis.sentinel.*} setting wins. When set, Sentinel is used and {@code REDIS_HOST} is ignored.
 */
public class RedisSentinelSettings implements EnvironmentPostProcessor {

    static final String MASTER = "REDIS_SENTINEL_MASTER";
    static final String NODES = "REDIS_SENTINEL_NODES";
    static final String PASSWORD = "REDIS_SENTINEL_PASSWORD";
    /** Together these stand in for {@code REDIS_HOST} (see {@link RequiredProdSettings}). */
    static final List<String> REQUIRED = List.of(MASTER, NODES);
    static final String PROPERTY_SOURCE = "switchyardRedisSentinel";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        String master = environment.getProperty(MASTER);
        if (!environment.matchesProfiles("prod") || !StringUtils.hasText(master)) {
            return;
        }
        Map<String, Object> sentinel = new LinkedHashMap<>();
        sentinel.put("spring.data.redis.sentinel.master", master.trim());
        sentinel.put("spring.data.redis.sentinel.nodes", environment.getProperty(NODES, ""));
        String password = environment.getProperty(PASSWORD);
        if (StringUtils.hasText(password)) {
            sentinel.put("spring.data.redis.sentinel.password", password);
        }
        environment.getPropertySources().addLast(new MapPropertySource(PROPERTY_SOURCE, sentinel));
    }
}
