package io.switchyard.support.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.switchyard.testsupport.RealStores;
import io.switchyard.testsupport.RedisProcess;
import io.switchyard.testsupport.RunningApp;
import io.switchyard.testsupport.TcpProxy;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Readiness reflects the stores for real: a stopped Redis or an unreachable database takes the instance out. */
class ReadinessIT {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    @Test
    void readinessGoesDownWhenRealRedisStops() throws Exception {
        try (RedisProcess redis = new RedisProcess().start();
                RunningApp app = RunningApp.start(
                        "switchyard.embedded.redis=false",
                        "spring.data.redis.host=127.0.0.1",
                        "spring.data.redis.port=" + redis.port())) {
            assertThat(app.awaitReadinessStatus(200, DEADLINE)).as("UP while Redis runs").isTrue();

            redis.stop();

            assertThat(app.awaitReadinessStatus(503, DEADLINE)).as("DOWN once Redis is stopped").isTrue();
            assertThat(app.get("/actuator/health/liveness").statusCode())
                    .as("liveness is not about dependencies: no restart loop").isEqualTo(200);
        }
    }

    @Test
    void readinessGoesDownWhenTheDatabaseIsUnreachableAndRecovers() throws Exception {
        URI mysql = URI.create(RealStores.mysqlUrl().substring("jdbc:".length()));
        try (TcpProxy proxy = new TcpProxy(mysql.getHost(), mysql.getPort()).start();
                RunningApp app = RunningApp.start(
                        "spring.datasource.url=jdbc:mysql://127.0.0.1:" + proxy.port() + mysql.getPath(),
                        "spring.datasource.username=" + RealStores.mysqlUsername(),
                        "spring.datasource.password=" + RealStores.mysqlPassword())) {
            assertThat(app.awaitReadinessStatus(200, DEADLINE)).as("UP with MariaDB reachable").isTrue();

            proxy.cut();
            assertThat(app.awaitReadinessStatus(503, DEADLINE)).as("DOWN with MariaDB unreachable").isTrue();

            proxy.restore();
            assertThat(app.awaitReadinessStatus(200, DEADLINE)).as("UP again once MariaDB is back").isTrue();
        }
    }

    @Test
    void readinessGoesDownWhenMongoIsUnreachable() throws Exception {
        MongoServer mongo = new MongoServer(new MemoryBackend());
        mongo.bind("127.0.0.1", 0);
        int port = mongo.getLocalAddress().getPort();
        try (RunningApp app = RunningApp.start(
                "switchyard.embedded.mongo=false",
                "spring.data.mongodb.uri=mongodb://127.0.0.1:" + port + "/switchyard?serverSelectionTimeoutMS=1000")) {
            assertThat(app.awaitReadinessStatus(200, DEADLINE)).isTrue();

            mongo.shutdownNow();

            assertThat(app.awaitReadinessStatus(503, DEADLINE)).isTrue();
        } finally {
            mongo.shutdownNow();
        }
    }
}
