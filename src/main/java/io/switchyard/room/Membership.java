package io.switchyard.room;

/** One of my rooms with where I stopped reading (the highest message id I have read). */
public record Membership(RoomSummary room, long lastReadId) {
}
