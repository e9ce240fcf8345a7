package io.switchyard.support.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.switchyard.SwitchyardApplication;
import io.switchyard.testsupport.RealStores;
import io.switchyard.testsupport.RunningApp;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.jdbc.core.JdbcTemplate;

/** The prod profile against the real MariaDB and Redis that scripts/test.sh runs (MongoDB: the wire-protocol server). */
class ProdProfileIT {

    private static MongoServer mongo;

    @BeforeAll
    static void startMongo() {
        mongo = new MongoServer(new MemoryBackend());
        mongo.bind("127.0.0.1", 0);
    }

    @AfterAll
    static void stopMongo() {
        mongo.shutdownNow();
    }

    @Test
    void startsReadyOnRealStoresWithMigrationsApplied() throws Exception {
        try (RunningApp app = RunningApp.start(prodSettings())) {
            assertThat(app.awaitReadinessStatus(200, Duration.ofSeconds(20))).isTrue();

            JsonNode info = new ObjectMapper().readTree(app.get("/actuator/info").body());
            assertThat(info.path("app").path("color").asText()).isEqualTo("blue");
            assertThat(info.path("app").path("env").asText()).isEqualTo("prod");

            JdbcTemplate jdbc = app.context().getBean(JdbcTemplate.class);
            String product = jdbc.execute((java.sql.Connection c) -> c.getMetaData().getDatabaseProductVersion());
            assertThat(product).containsIgnoringCase("MariaDB");
            Integer applied = jdbc.queryForObject(
                    "SELECT COUNT(*) FROM flyway_schema_history WHERE version = '1' AND success = 1", Integer.class);
            assertThat(applied).isEqualTo(1);
        }
    }

    @Test
    void refusesToStartNamingEveryMissingSetting() {
        assertThatThrownBy(() -> new SpringApplicationBuilder(SwitchyardApplication.class)
                .profiles("prod")
                .run("--server.port=0", "--MYSQL_URL=" + RealStores.mysqlUrl()))
                .isInstanceOf(MissingSettingsException.class)
                .hasMessageContaining("MYSQL_USERNAME")
                .hasMessageContaining("MYSQL_PASSWORD")
                .hasMessageContaining("REDIS_HOST")
                .hasMessageContaining("MONGODB_URI")
                .hasMessageContaining("JWT_SECRET")
                .hasMessageContaining("KAKAO_CLIENT_ID")
                .hasMessageContaining("KAKAO_REDIRECT_URIS")
                .hasMessageNotContaining("MYSQL_URL,");
    }

    private static String[] prodSettings() {
        return new String[] {
            "spring.profiles.active=prod",
            "MYSQL_URL=" + RealStores.mysqlUrl(),
            "MYSQL_USERNAME=" + RealStores.mysqlUsername(),
            "MYSQL_PASSWORD=" + RealStores.mysqlPassword(),
            "REDIS_HOST=" + RealStores.redisHost(),
            "REDIS_PORT=" + RealStores.redisPort(),
            "MONGODB_URI=mongodb://127.0.0.1:" + mongo.getLocalAddress().getPort() + "/switchyard",
            "JWT_SECRET=an-integration-test-secret-of-at-least-32-bytes",
            "KAKAO_CLIENT_ID=prod-profile-test-client",
            "KAKAO_REDIRECT_URIS=https://app.example.test/oauth/kakao",
            "APP_COLOR=blue",
            "APP_ENV=prod",
            "LOG_FORMAT=text"
        };
    }
}
