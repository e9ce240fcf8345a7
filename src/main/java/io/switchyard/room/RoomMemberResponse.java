package io.switchyard.room;

import java.time.Instant;

public record RoomMemberResponse(long userId, String nickname, String thumbnailImageUrl, Instant joinedAt) {
}
