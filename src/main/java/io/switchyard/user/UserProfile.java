package io.switchyard.user;

/**
 * The profile fields Kakao gave us, already sanitized to the column limits. Any of them may be null: the user
 * declined that consent (a missing nickname is replaced by the one we keep, or a generated one).
 */
public record UserProfile(String nickname, String profileImageUrl, String thumbnailImageUrl, String email) {

    UserProfile withNickname(String value) {
        return new UserProfile(value, profileImageUrl, thumbnailImageUrl, email);
    }
}
