package io.switchyard.support.web;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.StringUtils;

/**
 * Cross-origin access to {@code /api/**} for browser front ends on their own origin. The app answers CORS (and
 * preflights) itself, nginx passes them through: one place, the same with or without nginx.
 *
 * @param allowedOrigins   exact origins ({@code https://app.example.com}, scheme, host and port as the browser
 *                         sends them); empty: no cross-origin access (the default)
 * @param allowCredentials whether browsers may send cookies or HTTP auth with cross-origin calls; the API uses
 *                         bearer tokens, so false unless a front end needs it
 * @param maxAge           how long a browser may cache a preflight answer
 */
@ConfigurationProperties("switchyard.cors")
public record CorsProperties(
        @DefaultValue List<String> allowedOrigins,
        @DefaultValue("false") boolean allowCredentials,
        @DefaultValue("1h") Duration maxAge) {

    public CorsProperties {
        allowedOrigins = allowedOrigins == null ? List.of()
                : allowedOrigins.stream().filter(StringUtils::hasText).map(String::strip).toList();
        allowedOrigins.forEach(CorsProperties::requireOrigin);
    }

    /** An origin is scheme://host[:port] exactly: no path, no wildcard (exact match is the point). */
    private static void requireOrigin(String origin) {
        URI uri;
        try {
            uri = new URI(origin);
        } catch (Exception invalid) {
            throw new IllegalArgumentException("switchyard.cors.allowed-origins (CORS_ALLOWED_ORIGINS): not an "
                    + "origin: " + origin);
        }
        boolean http = "https".equals(uri.getScheme()) || "http".equals(uri.getScheme());
        if (!http || uri.getHost() == null || uri.getRawPath() == null || !uri.getRawPath().isEmpty()
                || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("switchyard.cors.allowed-origins (CORS_ALLOWED_ORIGINS): "
                    + "expected scheme://host[:port] with nothing after it, got: " + origin);
        }
    }
}
