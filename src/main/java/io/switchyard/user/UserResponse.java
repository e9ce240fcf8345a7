package io.switchyard.user;

import java.time.Instant;

/** The public view of a user. */
public record UserResponse(long id, String nickname, String profileImageUrl, String thumbnailImageUrl,
        String email, Instant createdAt, Instant lastLoginAt) {

    public static UserResponse from(User user) {
        return new UserResponse(user.getId(), user.getNickname(), user.getProfileImageUrl(),
                user.getThumbnailImageUrl(), user.getEmail(), user.getCreatedAt(), user.getLastLoginAt());
    }
}
