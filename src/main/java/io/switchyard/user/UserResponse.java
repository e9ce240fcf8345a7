package io.switchyard.user;

import java.time.Instant;
import org.springframework.lang.Nullable;

/**
 * The public view of a user; the images and the email are absent when the user declined those Kakao consents.
 */
public record UserResponse(long id, String nickname, @Nullable String profileImageUrl,
        @Nullable String thumbnailImageUrl, @Nullable String email, Instant createdAt, @Nullable Instant lastLoginAt) {

    public static UserResponse from(User user) {
        return new UserResponse(user.getId(), user.getNickname(), user.getProfileImageUrl(),
                user.getThumbnailImageUrl(), user.getEmail(), user.getCreatedAt(), user.getLastLoginAt());
    }
}
