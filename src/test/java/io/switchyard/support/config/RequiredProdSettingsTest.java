package io.switchyard.support.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.mock.env.MockEnvironment;

class RequiredProdSettingsTest {

    private final RequiredProdSettings check = new RequiredProdSettings();

    @Test
    void embeddedDefaultNeedsNothing() {
        assertThatNoException().isThrownBy(() -> check.postProcessEnvironment(new MockEnvironment(), new SpringApplication()));
    }

    @Test
    void prodListsEveryMissingVariableAtOnce() {
        MockEnvironment env = new MockEnvironment().withProperty("MYSQL_URL", "jdbc:mysql://db/app")
                .withProperty("REDIS_HOST", "   ");
        env.setActiveProfiles("prod");

        MissingSettingsException failure = catchThrowableOfType(MissingSettingsException.class,
                () -> check.postProcessEnvironment(env, new SpringApplication()));

        assertThat(failure.missing()).containsExactly(
                "MYSQL_USERNAME", "MYSQL_PASSWORD", "REDIS_HOST (or REDIS_SENTINEL_MASTER and REDIS_SENTINEL_NODES)",
                "MONGODB_URI", "JWT_SECRET", "KAKAO_CLIENT_ID", "KAKAO_REDIRECT_URIS");
    }

    @Test
    void sentinelMasterAndNodesStandInForRedisHost() {
        MockEnvironment env = prodWithEverythingBut("REDIS_HOST")
                .withProperty("REDIS_SENTINEL_MASTER", "switchyard")
                .withProperty("REDIS_SENTINEL_NODES", "sentinel-0:26379,sentinel-1:26379");

        assertThatNoException().isThrownBy(() -> check.postProcessEnvironment(env, new SpringApplication()));
    }

    @Test
    void halfASentinelSetupNamesTheMissingHalfInsteadOfRedisHost() {
        MockEnvironment env = prodWithEverythingBut("REDIS_HOST").withProperty("REDIS_SENTINEL_MASTER", "switchyard");

        MissingSettingsException failure = catchThrowableOfType(MissingSettingsException.class,
                () -> check.postProcessEnvironment(env, new SpringApplication()));

        assertThat(failure.missing()).containsExactly("REDIS_SENTINEL_NODES");
    }

    @Test
    void prodWithEverythingSetStarts() {
        MockEnvironment env = new MockEnvironment();
        RequiredProdSettings.REQUIRED.forEach(name -> env.setProperty(name, "value"));
        env.setActiveProfiles("prod");

        assertThatNoException().isThrownBy(() -> check.postProcessEnvironment(env, new SpringApplication()));
    }

    private static MockEnvironment prodWithEverythingBut(String left) {
        MockEnvironment env = new MockEnvironment();
        RequiredProdSettings.REQUIRED.stream().filter(name -> !name.equals(left)).forEach(name -> env.setProperty(name, "value"));
        env.setActiveProfiles("prod");
        return env;
    }

    @Test
    void failureAnalysisNamesTheVariablesAndTheWayOut() {
        FailureAnalysis analysis = new MissingSettingsFailureAnalyzer()
                .analyze(new MissingSettingsException(java.util.List.of("REDIS_HOST", "JWT_SECRET")));

        assertThat(analysis.getDescription()).contains("REDIS_HOST, JWT_SECRET");
        assertThat(analysis.getAction()).contains("README");
    }
}
