package io.switchyard.room;

import java.time.Instant;

/** A room as lists show it. */
public record RoomSummary(long id, String name, long ownerId, long memberCount, Instant createdAt) {
}
