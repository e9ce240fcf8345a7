package io.switchyard.support.embedded;

import com.mongodb.ConnectionString;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.mongo.MongoConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The embedded default's MongoDB: an in-process wire-protocol server on a free loopback port. The driver talks
 * to it exactly as to a real server, so nothing in the chat code knows the difference.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "switchyard.embedded.mongo", havingValue = "true")
class EmbeddedMongoConfig {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedMongoConfig.class);

    @Bean(destroyMethod = "shutdownNow")
    MongoServer embeddedMongoServer() {
        MongoServer server = new MongoServer(new MemoryBackend());
        server.bind("127.0.0.1", 0);
        InetSocketAddress address = server.getLocalAddress();
        log.info("embedded MongoDB wire-protocol server on {}:{}", address.getHostString(), address.getPort());
        return server;
    }

    @Bean
    MongoConnectionDetails embeddedMongoConnectionDetails(MongoServer embeddedMongoServer) {
        InetSocketAddress address = embeddedMongoServer.getLocalAddress();
        var connectionString = new ConnectionString(
                "mongodb://127.0.0.1:" + address.getPort() + "/switchyard?serverSelectionTimeoutMS=2000");
        return () -> connectionString;
    }
}
