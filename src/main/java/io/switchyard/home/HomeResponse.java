package io.switchyard.home;

import io.switchyard.room.RoomSummary;
import io.switchyard.user.UserResponse;
import java.time.Instant;
import java.util.List;

/** Everything the main page shows, in one call. */
record HomeResponse(UserResponse me, List<MyRoom> rooms, List<RoomSummary> popularRooms) {

    /** @param lastMessage null in a room nobody has written in yet */
    record MyRoom(long id, String name, long memberCount, LastMessage lastMessage, long lastReadId, long unreadCount) {
    }

    /** @param preview the start of the text, at most {@link HomeService#PREVIEW_LENGTH} characters */
    record LastMessage(long id, long senderId, String preview, Instant createdAt) {
    }
}
