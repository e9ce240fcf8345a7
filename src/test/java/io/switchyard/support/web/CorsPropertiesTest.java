package io.switchyard.support.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CorsPropertiesTest {

    @Test
    void exactOriginsAreKeptTrimmed() {
        var properties = new CorsProperties(List.of(" https://app.example.com ", "", "http://localhost:3000"), false,
                Duration.ofHours(1));

        assertThat(properties.allowedOrigins()).containsExactly("https://app.example.com", "http://localhost:3000");
    }

    @Test
    void anythingButAnExactOriginIsRefusedAtStartupNamingTheSetting() {
        for (String bad : List.of("*", "https://*.example.com", "https://app.example.com/", "app.example.com",
                "https://app.example.com/path", "ftp://app.example.com")) {
            assertThatThrownBy(() -> new CorsProperties(List.of(bad), false, Duration.ofHours(1))).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("CORS_ALLOWED_ORIGINS");
        }
    }
}
