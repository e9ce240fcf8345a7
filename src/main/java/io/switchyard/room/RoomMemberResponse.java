package io.switchyard.room;

import java.time.Instant;
import org.springframework.lang.Nullable;

public record RoomMemberResponse(long userId, String nickname, @Nullable String thumbnailImageUrl, Instant joinedAt) {
}
