package io.switchyard.auth;

import io.switchyard.support.error.Problems;
import io.switchyard.user.User;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.http.HttpStatus;
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
class AuthController {

    private static final Logger log = LoggerFactory.getLogger(AuthController.class);

    private final AuthService auth;

    AuthController(AuthService auth) {
        this.auth = auth;
    }

    @GetMapping("/kakao/authorize-url")
    AuthorizeUrlResponse authorizeUrl(@RequestParam @NotBlank @Size(max = User.URL_MAX) String redirectUri) {
        return auth.authorizeUrl(redirectUri);
    }

    @PostMapping("/kakao/login")
    TokenResponse login(@Valid @RequestBody KakaoLoginRequest request) {
        return auth.login(request);
    }

    @PostMapping("/refresh")
    TokenResponse refresh(@Valid @RequestBody RefreshTokenRequest request) {
        return auth.refresh(request.refreshToken());
    }

    @PostMapping("/logout")
    ResponseEntity<Void> logout(@Valid @RequestBody RefreshTokenRequest request) {
        auth.logout(request.refreshToken());
        return ResponseEntity.noContent().build();
    }

    /** Redis (states, refresh tokens) or the database down: a clear 503 the client may retry, not a 500. */
    @ExceptionHandler(DataAccessResourceFailureException.class)
    ResponseEntity<ProblemDetail> storeUnavailable(DataAccessResourceFailureException ex) {
        log.warn("auth store unavailable: {}", ex.getMessage());
        HttpStatus status = HttpStatus.SERVICE_UNAVAILABLE;
        return ResponseEntity.status(status)
                .body(Problems.of(status, "store-unavailable", "A backing store is unavailable; try again shortly."));
    }
}
