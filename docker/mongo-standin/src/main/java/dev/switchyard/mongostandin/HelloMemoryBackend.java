package dev.switchyard.mongostandin;

import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;

/**
 * The in-memory backend plus the {@code hello} command (MongoDB 4.4.2+), which mongo-java-server
 * 1.47.0 lacks: Spring Boot's MongoHealthIndicator and current drivers' monitors send it.
 * Answered like {@code isMaster}, with the field names {@code hello} uses.
 */
final class HelloMemoryBackend extends MemoryBackend {

    @Override
    public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
        if ("hello".equalsIgnoreCase(command)) {
            Document reply = super.handleCommand(channel, databaseName, "isMaster", query);
            Object primary = reply.get("ismaster");
            reply.put("isWritablePrimary", primary == null ? Boolean.TRUE : primary);
            return reply;
        }
        return super.handleCommand(channel, databaseName, command, query);
    }
}
