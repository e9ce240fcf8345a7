package io.switchyard.room;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param popularSize how many rooms the popular list holds
 * @param popularTtl  how long the popular list is cached in Redis
 */
@ConfigurationProperties("switchyard.rooms")
public record RoomProperties(
        @DefaultValue("10") int popularSize,
        @DefaultValue("30s") Duration popularTtl) {
}
