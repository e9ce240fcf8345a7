package io.switchyard.user;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.switchyard.support.api.ApiErrors;
import io.switchyard.support.error.ErrorCode;
import io.switchyard.support.security.CurrentUserId;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/users")
@Tag(name = "users", description = "The signed-in user")
class UserController {

    private final UserService users;

    UserController(UserService users) {
        this.users = users;
    }

    @Operation(summary = "Who am I")
    @ApiErrors(ErrorCode.USER_NOT_FOUND)
    @GetMapping("/me")
    UserResponse me(@CurrentUserId Long userId) {
        return users.profile(userId);
    }

    /** Deletes my account (docs/api/README.md, "Deleting an account"); idempotent. */
    @Operation(summary = "Delete my account: logins end, memberships go, the profile is anonymised; messages stay")
    @ApiErrors(ErrorCode.STORE_UNAVAILABLE)
    @DeleteMapping("/me")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void deleteMe(@CurrentUserId Long userId) {
        users.deleteAccount(userId);
    }
}
