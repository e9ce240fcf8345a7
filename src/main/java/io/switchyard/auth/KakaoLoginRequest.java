package io.switchyard.auth;

import io.switchyard.user.User;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import org.springframework.lang.Nullable;

/** @param codeVerifier the one authorize-url answered with this state (required unless configured otherwise) */
record KakaoLoginRequest(
        @NotBlank @Size(max = 1024) String code,
        @NotBlank @Size(max = 128) String state,
        @NotBlank @Size(max = User.URL_MAX) String redirectUri,
        @Nullable @Size(max = 128) String codeVerifier) {
}
