package io.switchyard.auth;

import io.switchyard.support.error.ApiException;
import io.switchyard.support.security.AccessTokens;
import io.switchyard.user.UserProfile;
import io.switchyard.user.UserResponse;
import io.switchyard.user.UserService;
import java.time.Clock;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.web.util.UriComponentsBuilder;

/** The Kakao authorization-code login and our own token lifecycle. */
@Service
class AuthService {

    private static final Logger log = LoggerFactory.getLogger(AuthService.class);

    private final KakaoProperties kakao;
    private final AuthProperties properties;
    private final KakaoClient kakaoClient;
    private final LoginStates states;
    private final RefreshTokens refreshTokens;
    private final AccessTokens accessTokens;
    private final UserService users;
    private final Clock clock;

    AuthService(KakaoProperties kakao, AuthProperties properties, KakaoClient kakaoClient, LoginStates states,
            RefreshTokens refreshTokens, AccessTokens accessTokens, UserService users, Clock clock) {
        this.kakao = kakao;
        this.properties = properties;
        this.kakaoClient = kakaoClient;
        this.states = states;
        this.refreshTokens = refreshTokens;
        this.accessTokens = accessTokens;
        this.users = users;
        this.clock = clock;
    }

    AuthorizeUrlResponse authorizeUrl(String redirectUri) {
        requireConfigured();
        requireAllowed(redirectUri);
        String state = states.issue(redirectUri);
        // encode() before expanding: the values are encoded strictly, so a redirect URI with its own query survives
        String url = UriComponentsBuilder.fromUriString(kakao.authBaseUrl())
                .path("/oauth/authorize")
                .queryParam("response_type", "code")
                .queryParam("client_id", "{clientId}")
                .queryParam("redirect_uri", "{redirectUri}")
                .queryParam("state", "{state}")
                .encode()
                .buildAndExpand(Map.of("clientId", kakao.clientId(), "redirectUri", redirectUri, "state", state))
                .toUriString();
        return new AuthorizeUrlResponse(url, state, properties.stateTtl().toSeconds());
    }

    TokenResponse login(KakaoLoginRequest request) {
        requireConfigured();
        requireAllowed(request.redirectUri());
        if (!states.consume(request.state(), request.redirectUri())) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "invalid-state",
                    "The login state is unknown, expired, already used or was issued for another redirect URI; "
                            + "start the login again.");
        }
        KakaoClient.KakaoToken kakaoToken = kakaoClient.exchangeCode(request.code(), request.redirectUri());
        KakaoUser kakaoUser = kakaoClient.fetchUser(kakaoToken.accessToken());
        UserProfile profile = KakaoProfiles.toProfile(kakaoUser);
        UserResponse user = recordLogin(kakaoUser.id(), profile);
        log.info("user {} signed in with Kakao", user.id());
        return tokensFor(user.id(), user);
    }

    TokenResponse refresh(String refreshToken) {
        RefreshTokens.Rotation rotation = refreshTokens.rotate(refreshToken);
        return switch (rotation.outcome()) {
            case ROTATED -> new TokenResponse(accessTokens.issue(rotation.userId()), rotation.token(), null);
            case REUSED -> {
                log.warn("a rotated refresh token was presented again: its family is revoked");
                throw new ApiException(HttpStatus.UNAUTHORIZED, "refresh-token-reused",
                        "This refresh token was already used; every session it belonged to is signed out.");
            }
            case REVOKED, UNKNOWN -> throw new ApiException(HttpStatus.UNAUTHORIZED, "invalid-refresh-token",
                    "The refresh token is unknown, expired or revoked; sign in again.");
        };
    }

    /** Idempotent: logging out twice, or with a token we do not know, is not an error. */
    void logout(String refreshToken) {
        refreshTokens.revoke(refreshToken);
    }

    private UserResponse recordLogin(long kakaoId, UserProfile profile) {
        try {
            return users.recordKakaoLogin(kakaoId, profile, clock.instant());
        } catch (DataIntegrityViolationException concurrentFirstLogin) {
            // the same person's first login finished on another request a moment ago: now the row exists
            return users.recordKakaoLogin(kakaoId, profile, clock.instant());
        }
    }

    private TokenResponse tokensFor(long userId, UserResponse user) {
        return new TokenResponse(accessTokens.issue(userId), refreshTokens.issue(userId), user);
    }

    private void requireConfigured() {
        if (!kakao.configured()) {
            throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "kakao-not-configured",
                    "Kakao login is not configured on this server (set KAKAO_CLIENT_ID and KAKAO_REDIRECT_URIS).");
        }
    }

    private void requireAllowed(String redirectUri) {
        if (!kakao.allows(redirectUri)) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "redirect-uri-not-allowed",
                    "This redirect URI is not on the server's allow-list.");
        }
    }
}
