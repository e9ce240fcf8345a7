package io.switchyard.room;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * The popular-rooms list, cached in Redis with a TTL. The cache only saves the group-by query: when Redis is
 * unreachable the list is computed from the database, and the outage is logged once (again after a recovery).
 */
@Component
public class PopularRooms {

    static final String CACHE_KEY = "switchyard:rooms:popular:v1";
    private static final Duration REDIS_RETRY_AFTER = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(PopularRooms.class);
    private static final TypeReference<List<RoomSummary>> LIST = new TypeReference<>() {
    };

    private final RoomRepository rooms;
    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final RoomProperties properties;
    private final AtomicBoolean redisDownLogged = new AtomicBoolean();
    /** After a failure Redis is skipped for a while, so that an outage does not add a timeout to every call. */
    private volatile long skipRedisUntil;

    PopularRooms(RoomRepository rooms, StringRedisTemplate redis, ObjectMapper json, RoomProperties properties) {
        this.rooms = rooms;
        this.redis = redis;
        this.json = json;
        this.properties = properties;
    }

    @Transactional(readOnly = true)
    public List<RoomSummary> top() {
        String cached = readCache();
        if (cached != null) {
            try {
                return json.readValue(cached, LIST);
            } catch (JsonProcessingException staleFormat) {
                log.warn("ignoring unreadable popular-rooms cache entry: {}", staleFormat.getOriginalMessage());
            }
        }
        List<RoomSummary> computed = rooms.findMostPopular(PageRequest.of(0, properties.popularSize()));
        writeCache(computed);
        return computed;
    }

    private String readCache() {
        if (System.nanoTime() - skipRedisUntil < 0) {
            return null;
        }
        try {
            String value = redis.opsForValue().get(CACHE_KEY);
            redisBack();
            return value;
        } catch (DataAccessException redisDown) {
            redisDown(redisDown);
            return null;
        }
    }

    private void writeCache(List<RoomSummary> value) {
        if (System.nanoTime() - skipRedisUntil < 0) {
            return;
        }
        try {
            redis.opsForValue().set(CACHE_KEY, json.writeValueAsString(value), properties.popularTtl());
        } catch (DataAccessException redisDown) {
            redisDown(redisDown);
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private void redisDown(DataAccessException e) {
        skipRedisUntil = System.nanoTime() + REDIS_RETRY_AFTER.toNanos();
        if (redisDownLogged.compareAndSet(false, true)) {
            log.warn("Redis unavailable, computing popular rooms from the database until it is back: {}",
                    e.getMessage());
        }
    }

    private void redisBack() {
        if (redisDownLogged.compareAndSet(true, false)) {
            log.info("Redis is back: popular rooms are cached again");
        }
    }
}
