-- Chat rooms and memberships. Portable between MySQL/MariaDB and H2 in MySQL mode (the embedded default).
-- Additive only: the previous release never reads these tables, so blue and green can share the schema.
CREATE TABLE chat_rooms (
    id         BIGINT      NOT NULL AUTO_INCREMENT,
    name       VARCHAR(50) NOT NULL,
    owner_id   BIGINT      NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT fk_chat_rooms_owner FOREIGN KEY (owner_id) REFERENCES users (id)
);

-- last_read_id: the highest message id (per-room sequence, messages live in MongoDB) the member has read.
CREATE TABLE chat_room_members (
    room_id      BIGINT      NOT NULL,
    user_id      BIGINT      NOT NULL,
    joined_at    DATETIME(6) NOT NULL,
    last_read_id BIGINT      NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id),
    CONSTRAINT fk_chat_room_members_room FOREIGN KEY (room_id) REFERENCES chat_rooms (id) ON DELETE CASCADE,
    CONSTRAINT fk_chat_room_members_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX ix_chat_room_members_user ON chat_room_members (user_id);
