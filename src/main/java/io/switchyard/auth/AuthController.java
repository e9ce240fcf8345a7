package io.switchyard.auth;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.switchyard.support.api.ApiErrors;
import io.switchyard.support.error.ErrorCode;
import io.switchyard.support.error.Problems;
import io.switchyard.user.User;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Public (no access token) endpoints of the login flow; see docs/auth.md. */
@RestController
@RequestMapping("/api/auth")
@Tag(name = "auth", description = "Kakao login and our tokens (no access token needed)")
class AuthController {

    private static final Logger log = LoggerFactory.getLogger(AuthController.class);

    private final AuthService auth;

    AuthController(AuthService auth) {
        this.auth = auth;
    }

    @Operation(summary = "Start a Kakao login: the authorize URL, its state and the PKCE verifier to keep")
    @ApiErrors({ErrorCode.KAKAO_NOT_CONFIGURED, ErrorCode.REDIRECT_URI_NOT_ALLOWED, ErrorCode.STORE_UNAVAILABLE})
    @GetMapping("/kakao/authorize-url")
    AuthorizeUrlResponse authorizeUrl(@RequestParam @NotBlank @Size(max = User.URL_MAX) String redirectUri) {
        return auth.authorizeUrl(redirectUri);
    }

    @Operation(summary = "Finish a Kakao login: our access and refresh tokens, and the user")
    @ApiErrors({ErrorCode.KAKAO_NOT_CONFIGURED, ErrorCode.REDIRECT_URI_NOT_ALLOWED, ErrorCode.INVALID_STATE,
            ErrorCode.INVALID_CODE_VERIFIER, ErrorCode.KAKAO_INVALID_GRANT, ErrorCode.KAKAO_BAD_GATEWAY,
            ErrorCode.KAKAO_REJECTED, ErrorCode.KAKAO_UNAVAILABLE, ErrorCode.STORE_UNAVAILABLE})
    @PostMapping("/kakao/login")
    TokenResponse login(@Valid @RequestBody KakaoLoginRequest request) {
        return auth.login(request);
    }

    @Operation(summary = "Rotate the refresh token: a new access token and refresh token")
    @ApiErrors({ErrorCode.INVALID_REFRESH_TOKEN, ErrorCode.REFRESH_TOKEN_REUSED, ErrorCode.STORE_UNAVAILABLE})
    @PostMapping("/refresh")
    TokenResponse refresh(@Valid @RequestBody RefreshTokenRequest request) {
        return auth.refresh(request.refreshToken());
    }

    @Operation(summary = "Sign out this login (idempotent); its access tokens and chat sockets end too")
    @ApiErrors(ErrorCode.STORE_UNAVAILABLE)
    @PostMapping("/logout")
    ResponseEntity<Void> logout(@Valid @RequestBody RefreshTokenRequest request) {
        auth.logout(request.refreshToken());
        return ResponseEntity.noContent().build();
    }

    /** Redis (states, refresh tokens) or the database down: a clear 503 the client may retry, not a 500. */
    @ExceptionHandler(DataAccessResourceFailureException.class)
    ResponseEntity<ProblemDetail> storeUnavailable(DataAccessResourceFailureException ex) {
        log.warn("auth store unavailable: {}", ex.getMessage());
        return ResponseEntity.status(ErrorCode.STORE_UNAVAILABLE.status())
                .body(Problems.of(ErrorCode.STORE_UNAVAILABLE, "A backing store is unavailable; try again shortly."));
    }
}
