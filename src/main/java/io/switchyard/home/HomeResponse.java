package io.switchyard.home;

import io.switchyard.room.RoomSummary;
import io.switchyard.user.UserResponse;
import java.time.Instant;
import java.util.List;
import org.springframework.lang.Nullable;

/** Everything the main page shows, in one call. */
record HomeResponse(UserResponse me, List<MyRoom> rooms, List<RoomSummary> popularRooms) {

    /**
     * @param lastMessage  null in a room nobody has written in yet
     * @param unreadCount  messages after my read marker, at most 99
     * @param unreadCapped true when there are more than 99: show "99+"
     */
    record MyRoom(long id, String name, long memberCount, @Nullable LastMessage lastMessage, long lastReadId,
            long unreadCount, boolean unreadCapped) {
    }

    /** @param preview the start of the text, at most {@link HomeService#PREVIEW_LENGTH} characters */
    record LastMessage(long id, long senderId, String preview, Instant createdAt) {
    }
}
