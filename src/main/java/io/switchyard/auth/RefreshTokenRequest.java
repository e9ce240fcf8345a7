package io.switchyard.auth;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/** Body of refresh and logout. */
record RefreshTokenRequest(@NotBlank @Size(max = 256) String refreshToken) {
}
