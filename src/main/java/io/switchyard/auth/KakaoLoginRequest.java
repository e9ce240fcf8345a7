package io.switchyard.auth;

import io.switchyard.user.User;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

record KakaoLoginRequest(
        @NotBlank @Size(max = 1024) String code,
        @NotBlank @Size(max = 128) String state,
        @NotBlank @Size(max = User.URL_MAX) String redirectUri) {
}
