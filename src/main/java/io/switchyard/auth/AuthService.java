package io.switchyard.auth;

import io.switchyard.support.error.ApiException;
import io.switchyard.support.error.ErrorCode;
import io.switchyard.support.security.AccessTokens;
import io.switchyard.support.security.SessionRevocations;
import io.switchyard.user.AccountDeleting;
import io.switchyard.user.UserProfile;
import io.switchyard.user.UserResponse;
import io.switchyard.user.UserService;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataIntegrityViolationException;
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
    private final SessionRevocations revocations;

    AuthService(KakaoProperties kakao, AuthProperties properties, KakaoClient kakaoClient, LoginStates states,
            RefreshTokens refreshTokens, AccessTokens accessTokens, UserService users, Clock clock,
            SessionRevocations revocations) {
        this.revocations = revocations;
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
        LoginStates.Issued issued = states.issue(redirectUri);
        // encode() before expanding: the values are encoded strictly, so a redirect URI with its own query survives
        String url = UriComponentsBuilder.fromUriString(kakao.authBaseUrl())
                .path("/oauth/authorize")
                .queryParam("response_type", "code")
                .queryParam("client_id", "{clientId}")
                .queryParam("redirect_uri", "{redirectUri}")
                .queryParam("state", "{state}")
                .queryParam("code_challenge", "{challenge}")
                .queryParam("code_challenge_method", "S256")
                .encode()
                .buildAndExpand(Map.of("clientId", kakao.clientId(), "redirectUri", redirectUri,
                        "state", issued.state(), "challenge", issued.codeChallenge()))
                .toUriString();
        return new AuthorizeUrlResponse(url, issued.state(), issued.codeVerifier(), properties.stateTtl().toSeconds());
    }

    TokenResponse login(KakaoLoginRequest request) {
        requireConfigured();
        requireAllowed(request.redirectUri());
        LoginStates.Consumed consumed = states.consume(request.state(), request.redirectUri(), request.codeVerifier());
        if (consumed == null) {
            throw new ApiException(ErrorCode.INVALID_STATE,
                    "The login state is unknown, expired, already used or was issued for another redirect URI; "
                            + "start the login again.");
        }
        if (!consumed.callerMatches()) {
            throw new ApiException(ErrorCode.INVALID_CODE_VERIFIER,
                    "codeVerifier is missing or is not the one answered with this state; start the login again.");
        }
        KakaoClient.KakaoToken kakaoToken = kakaoClient.exchangeCode(request.code(), request.redirectUri(),
                consumed.codeVerifier());
        KakaoUser kakaoUser = kakaoClient.fetchUser(kakaoToken.accessToken());
        UserProfile profile = KakaoProfiles.toProfile(kakaoUser);
        UserResponse user = recordLogin(kakaoUser.id(), profile);
        log.info("user {} signed in with Kakao", user.id());
        return tokensFor(user.id(), user);
    }

    /** ROTATED and REPEATED both answer the family's current refresh token with a fresh access token. */
    TokenResponse refresh(String refreshToken) {
        RefreshTokens.Rotation rotation = refreshTokens.rotate(refreshToken);
        return switch (rotation.outcome()) {
            case ROTATED, REPEATED -> new TokenResponse(accessTokens.issue(rotation.userId(), rotation.family()),
                    rotation.token(), null);
            case REUSED -> {
                log.warn("a rotated refresh token was presented again: its family is revoked");
                revocations.revoke(RefreshTokens.familyOf(refreshToken));
                throw new ApiException(ErrorCode.REFRESH_TOKEN_REUSED,
                        "This refresh token was already used; every session it belonged to is signed out.");
            }
            case REVOKED, UNKNOWN -> throw new ApiException(ErrorCode.INVALID_REFRESH_TOKEN,
                    "The refresh token is unknown, expired or revoked; sign in again.");
        };
    }

    /** Idempotent: logging out twice, or with a token we do not know, is not an error. */
    void logout(String refreshToken) {
        String family = refreshTokens.revoke(refreshToken);
        if (family != null) {
            revocations.revoke(family); // its chat sockets close, on every instance
        }
    }

    /**
     * Sign out everywhere: every login of the user ends (its refresh tokens, its access tokens on REST, its chat
     * sockets on every instance). Redis down: 503, nothing is half done that a retry would not finish.
     */
    void signOutEverywhere(long userId) {
        List<String> families;
        try {
            families = refreshTokens.revokeAllOf(userId);
        } catch (DataAccessException e) {
            throw new ApiException(ErrorCode.STORE_UNAVAILABLE, "Redis is unavailable; try again shortly.", e);
        }
        families.forEach(revocations::revoke);
        log.info("user {} signed out everywhere: {} logins ended", userId, families.size());
    }

    /** An account being deleted: its logins end first, so a deletion that fails leaves nobody half signed in. */
    @EventListener
    public void onAccountDeleting(AccountDeleting deleting) {
        signOutEverywhere(deleting.userId());
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
        RefreshTokens.Issued login = refreshTokens.issue(userId);
        return new TokenResponse(accessTokens.issue(userId, login.family()), login.token(), user);
    }

    private void requireConfigured() {
        if (!kakao.configured()) {
            throw new ApiException(ErrorCode.KAKAO_NOT_CONFIGURED,
                    "Kakao login is not configured on this server (set KAKAO_CLIENT_ID and KAKAO_REDIRECT_URIS).");
        }
    }

    private void requireAllowed(String redirectUri) {
        if (!kakao.allows(redirectUri)) {
            throw new ApiException(ErrorCode.REDIRECT_URI_NOT_ALLOWED,
                    "This redirect URI is not on the server's allow-list.");
        }
    }
}
