package io.switchyard.auth;

import io.switchyard.support.security.AccessTokens;
import io.switchyard.user.UserResponse;
import org.springframework.lang.Nullable;

/**
 * What login and refresh answer. {@code expiresIn} is the access token's lifetime in seconds; {@code user} only on
 * login (the JSON leaves out nulls).
 */
record TokenResponse(String accessToken, String tokenType, long expiresIn, String refreshToken,
        @Nullable UserResponse user) {

    TokenResponse(AccessTokens.IssuedToken access, String refreshToken, UserResponse user) {
        this(access.value(), "Bearer", access.expiresInSeconds(), refreshToken, user);
    }
}
