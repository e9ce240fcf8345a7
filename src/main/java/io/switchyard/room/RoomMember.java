package io.switchyard.room;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;

/** A user's membership of a room, with the read marker the main page's unread counts start from. */
@Entity
@Table(name = "chat_room_members")
class RoomMember {

    @EmbeddedId
    private Key id;

    @Column(name = "joined_at", nullable = false, updatable = false)
    private Instant joinedAt;

    @Column(name = "last_read_id", nullable = false)
    private long lastReadId;

    protected RoomMember() {
        // for JPA
    }

    private RoomMember(Key id, Instant joinedAt, long lastReadId) {
        this.id = id;
        this.joinedAt = joinedAt;
        this.lastReadId = lastReadId;
    }

    /** @param lastReadId where the read marker starts: the room's newest message at joining time */
    static RoomMember join(long roomId, long userId, Instant now, long lastReadId) {
        return new RoomMember(new Key(roomId, userId), now, lastReadId);
    }

    long roomId() {
        return id.roomId;
    }

    long userId() {
        return id.userId;
    }

    Instant joinedAt() {
        return joinedAt;
    }

    long lastReadId() {
        return lastReadId;
    }

    @Embeddable
    static class Key implements Serializable {

        @Column(name = "room_id", nullable = false)
        private long roomId;

        @Column(name = "user_id", nullable = false)
        private long userId;

        protected Key() {
            // for JPA
        }

        Key(long roomId, long userId) {
            this.roomId = roomId;
            this.userId = userId;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && key.roomId == roomId && key.userId == userId;
        }

        @Override
        public int hashCode() {
            return Objects.hash(roomId, userId);
        }
    }
}
