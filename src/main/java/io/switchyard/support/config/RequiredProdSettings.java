package io.switchyard.support.config;

import java.util.List;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.util.StringUtils;

/**
 * With the {@code prod} profile there is no embedded fallback: refuse to start, naming every missing variable at
 * once, instead of failing later on the first unresolved placeholder or a connection to localhost.
 */
public class RequiredProdSettings implements EnvironmentPostProcessor {

    static final List<String> REQUIRED = List.of(
            "MYSQL_URL", "MYSQL_USERNAME", "MYSQL_PASSWORD", "REDIS_HOST", "MONGODB_URI", "JWT_SECRET",
            "KAKAO_CLIENT_ID", "KAKAO_REDIRECT_URIS");

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!environment.matchesProfiles("prod")) {
            return;
        }
        List<String> missing = REQUIRED.stream()
                .filter(name -> !StringUtils.hasText(environment.getProperty(name)))
                .toList();
        if (!missing.isEmpty()) {
            throw new MissingSettingsException(missing);
        }
    }
}
