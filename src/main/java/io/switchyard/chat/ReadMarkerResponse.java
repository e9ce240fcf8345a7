package io.switchyard.chat;

record ReadMarkerResponse(long roomId, long lastReadId, long unreadCount) {
}
