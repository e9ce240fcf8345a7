package io.switchyard.room;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param popularSize     how many rooms the popular list holds
 * @param popularTtl      how long the popular list is cached in Redis
 * @param defaultPageSize rooms or members per page when the client gives no {@code limit}; as large as the cap, so
 *                        a client of a release before paging (which never asks for the next page) still gets every
 *                        room of an ordinary user
 * @param maxPageSize     cap on {@code limit}
 */
@ConfigurationProperties("switchyard.rooms")
public record RoomProperties(
        @DefaultValue("10") int popularSize,
        @DefaultValue("30s") Duration popularTtl,
        @DefaultValue("100") int defaultPageSize,
        @DefaultValue("100") int maxPageSize) {
}
