package io.switchyard.user;

/** The profile fields we keep; any of them but the nickname may be null (the user declined that consent). */
public record UserProfile(String nickname, String profileImageUrl, String thumbnailImageUrl, String email) {
}
