package io.switchyard.room;

/**
 * The newest message id of a room, from the chat store (which depends on rooms, not the other way round): a new
 * member's read marker starts there, so an old room's history is not all unread.
 */
public interface NewestMessages {

    /** 0 when the room has no message yet. */
    long newestId(long roomId);
}
