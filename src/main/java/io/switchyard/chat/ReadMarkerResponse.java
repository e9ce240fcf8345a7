package io.switchyard.chat;

/** @param unreadCapped true when there are more than {@code unreadCount} (99) unread messages: show "99+" */
record ReadMarkerResponse(long roomId, long lastReadId, long unreadCount, boolean unreadCapped) {
}
