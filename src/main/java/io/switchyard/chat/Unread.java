package io.switchyard.chat;

/**
 * Unread messages of a member: every id after the read marker up to the newest (ids have no holes, and sending
 * moves the sender's marker to their message, so these are others' messages). Capped for display: at {@link #CAP}
 * the client shows "99+".
 *
 * @param count  unread messages, at most {@link #CAP}
 * @param capped true when there are more than {@link #CAP}
 */
public record Unread(long count, boolean capped) {

    public static final long CAP = 99;

    public static Unread between(long lastReadId, long newestId) {
        long unread = Math.max(0, newestId - lastReadId);
        return unread > CAP ? new Unread(CAP, true) : new Unread(unread, false);
    }
}
