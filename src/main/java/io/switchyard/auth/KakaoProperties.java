package io.switchyard.auth;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.StringUtils;

/**
 * How we reach Kakao. Base URLs are configuration so tests (and the docs' walk-through) point them at a local stub.
 *
 * @param authBaseUrl         Kakao's authorization server ({@code /oauth/authorize}, {@code /oauth/token})
 * @param apiBaseUrl          Kakao's API server ({@code /v2/user/me})
 * @param clientId            the app's REST API key; blank means "not configured": login answers 503
 * @param clientSecret        sent with the code exchange only when set (Kakao's client secret is optional)
 * @param allowedRedirectUris exact redirect URIs a client may ask for; anything else is refused
 * @param connectTimeout      TCP connect timeout for calls to Kakao
 * @param readTimeout         deadline for Kakao's whole response (headers and body) per call
 */
@ConfigurationProperties("switchyard.auth.kakao")
public record KakaoProperties(
        @DefaultValue("https://kauth.kakao.com") String authBaseUrl,
        @DefaultValue("https://kapi.kakao.com") String apiBaseUrl,
        String clientId,
        String clientSecret,
        @DefaultValue List<String> allowedRedirectUris,
        @DefaultValue("2s") Duration connectTimeout,
        @DefaultValue("5s") Duration readTimeout) {

    public KakaoProperties {
        requireHttpUrl("switchyard.auth.kakao.auth-base-url (KAKAO_AUTH_BASE_URL)", authBaseUrl);
        requireHttpUrl("switchyard.auth.kakao.api-base-url (KAKAO_API_BASE_URL)", apiBaseUrl);
        allowedRedirectUris = allowedRedirectUris == null ? List.of()
                : allowedRedirectUris.stream().filter(StringUtils::hasText).map(String::strip).toList();
    }

    private static void requireHttpUrl(String name, String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException | NullPointerException invalid) {
            throw new IllegalArgumentException(name + " is not a URL: " + value);
        }
        if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException(name + " must be an absolute http(s) URL, not: " + value);
        }
    }

    boolean configured() {
        return StringUtils.hasText(clientId);
    }

    boolean hasClientSecret() {
        return StringUtils.hasText(clientSecret);
    }

    boolean allows(String redirectUri) {
        return redirectUri != null && allowedRedirectUris.contains(redirectUri);
    }
}
