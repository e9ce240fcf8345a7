package dev.switchyard.mongostandin;

import de.bwaldvogel.mongo.MongoServer;

/**
 * Serves the MongoDB wire protocol (OP_MSG, hello, CRUD, indexes) from memory with
 * mongo-java-server, so the official mongo image can be replaced on hosts without a registry.
 *
 * <p>{@code hello} is added on top of mongo-java-server (see {@link HelloMemoryBackend}).
 *
 * <p>Configuration through the environment: {@code MONGO_STANDIN_BIND} (default 0.0.0.0) and
 * {@code MONGO_STANDIN_PORT} (default 27017). Data lives as long as the container.
 */
public final class MongoStandin {

    private MongoStandin() {
    }

    public static void main(String[] args) throws InterruptedException {
        String host = env("MONGO_STANDIN_BIND", "0.0.0.0");
        int port = Integer.parseInt(env("MONGO_STANDIN_PORT", "27017"));

        MongoServer server = new MongoServer(new HelloMemoryBackend());
        server.bind(host, port);
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow, "mongo-standin-shutdown"));
        System.out.printf("mongo-standin: MongoDB wire protocol on %s:%d (mongo-java-server, in-memory)%n", host, port);
        Thread.currentThread().join();
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
