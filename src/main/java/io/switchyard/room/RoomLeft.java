package io.switchyard.room;

/** Published (after commit) when a user leaves a room, so live delivery to them can stop everywhere. */
public record RoomLeft(long roomId, long userId) {
}
