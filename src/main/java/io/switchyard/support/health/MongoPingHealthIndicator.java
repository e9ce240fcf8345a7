package io.switchyard.support.health;

import org.bson.Document;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.stereotype.Component;

/**
 * MongoDB health via {@code ping}, replacing Boot's indicator (same bean name, so Boot backs off). Boot's sends
 * {@code hello}, which the in-process wire-protocol server of the embedded default and of offline hosts does not
 * implement; {@code ping} is answered by every MongoDB and proves the same thing: the server answers commands.
 */
@Component("mongoHealthIndicator")
class MongoPingHealthIndicator extends AbstractHealthIndicator {

    private final MongoTemplate mongo;

    MongoPingHealthIndicator(MongoTemplate mongo) {
        super("MongoDB health check failed");
        this.mongo = mongo;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        Document result = mongo.executeCommand(new Document("ping", 1));
        Object ok = result.get("ok");
        if (ok instanceof Number number && number.doubleValue() == 1.0) {
            builder.up();
        } else {
            builder.down().withDetail("ping", result.toJson());
        }
    }
}
