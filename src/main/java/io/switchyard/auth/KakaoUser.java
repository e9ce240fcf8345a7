package io.switchyard.auth;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Kakao's {@code /v2/user/me}, only the parts we read. Everything but {@code id} depends on the consents the user
 * gave, so any of it may be missing.
 */
record KakaoUser(Long id, Properties properties, @JsonProperty("kakao_account") Account account) {

    /** The legacy {@code properties} block; older apps get the nickname and images only here. */
    record Properties(
            String nickname,
            @JsonProperty("profile_image") String profileImage,
            @JsonProperty("thumbnail_image") String thumbnailImage) {
    }

    record Account(
            Profile profile,
            String email,
            @JsonProperty("is_email_valid") Boolean emailValid,
            @JsonProperty("is_email_verified") Boolean emailVerified) {
    }

    record Profile(
            String nickname,
            @JsonProperty("profile_image_url") String profileImageUrl,
            @JsonProperty("thumbnail_image_url") String thumbnailImageUrl) {
    }
}
