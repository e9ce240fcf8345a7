package io.switchyard.room;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A chat room. Public: anyone signed in may join; only members read or write its messages. */
@Entity
@Table(name = "chat_rooms")
class Room {

    static final int NAME_MAX = 50;

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(nullable = false, length = NAME_MAX)
    private String name;

    @Column(name = "owner_id", nullable = false, updatable = false)
    private Long ownerId;

    @Column(name = "created_at", nullable = false, updatable = false)
    private Instant createdAt;

    protected Room() {
        // for JPA
    }

    private Room(String name, long ownerId, Instant createdAt) {
        this.name = name;
        this.ownerId = ownerId;
        this.createdAt = createdAt;
    }

    static Room open(String name, long ownerId, Instant now) {
        return new Room(name, ownerId, now);
    }

    Long getId() {
        return id;
    }

    String getName() {
        return name;
    }

    Long getOwnerId() {
        return ownerId;
    }

    Instant getCreatedAt() {
        return createdAt;
    }
}
