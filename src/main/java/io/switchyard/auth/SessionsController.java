package io.switchyard.auth;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.switchyard.support.api.ApiErrors;
import io.switchyard.support.error.ErrorCode;
import io.switchyard.support.security.CurrentUserId;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** My logins, with the access token (unlike /api/auth/**, which ignores it). */
@RestController
@Tag(name = "users")
class SessionsController {

    private final AuthService auth;

    SessionsController(AuthService auth) {
        this.auth = auth;
    }

    /** Sign out everywhere, this device included: every refresh token, access token and chat socket of mine ends. */
    @Operation(summary = "Sign out everywhere: every login of mine ends, this one included")
    @ApiErrors(ErrorCode.STORE_UNAVAILABLE)
    @DeleteMapping("/api/users/me/sessions")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void signOutEverywhere(@CurrentUserId Long userId) {
        auth.signOutEverywhere(userId);
    }
}
