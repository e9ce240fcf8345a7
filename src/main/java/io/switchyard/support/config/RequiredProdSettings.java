package io.switchyard.support.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    /** Variables that, all set together, stand in for a required one: Redis behind Sentinel instead of one host. */
    static final Map<String, List<String>> ALTERNATIVES = Map.of("REDIS_HOST", RedisSentinelSettings.REQUIRED);

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!environment.matchesProfiles("prod")) {
            return;
        }
        List<String> missing = new ArrayList<>();
        for (String name : REQUIRED) {
            if (isSet(environment, name)) {
                continue;
            }
            List<String> alternative = ALTERNATIVES.getOrDefault(name, List.of());
            List<String> alternativeSet = alternative.stream().filter(a -> isSet(environment, a)).toList();
            if (alternativeSet.isEmpty()) {
                missing.add(alternative.isEmpty() ? name : name + " (or " + String.join(" and ", alternative) + ")");
            } else {
                // Half a Sentinel setup is a mistake, not a reason to fall back to REDIS_HOST: name what is left.
                alternative.stream().filter(a -> !alternativeSet.contains(a)).forEach(missing::add);
            }
        }
        if (!missing.isEmpty()) {
            throw new MissingSettingsException(missing);
        }
    }

    private static boolean isSet(ConfigurableEnvironment environment, String name) {
        return StringUtils.hasText(environment.getProperty(name));
    }
}
