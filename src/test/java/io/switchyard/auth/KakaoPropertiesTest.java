package io.switchyard.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class KakaoPropertiesTest {

    @Test
    void allowListIsExactAndIgnoresBlankEntries() {
        KakaoProperties properties = properties("https://kauth.kakao.com",
                Arrays.asList(" https://app.example/cb ", "", null));

        assertThat(properties.allowedRedirectUris()).containsExactly("https://app.example/cb");
        assertThat(properties.allows("https://app.example/cb")).isTrue();
        assertThat(properties.allows("https://app.example/cb/")).isFalse();
        assertThat(properties.allows("https://app.example/cb?x=1")).isFalse();
        assertThat(properties.allows(null)).isFalse();
    }

    @Test
    void baseUrlsMustBeAbsoluteHttp() {
        assertThatThrownBy(() -> properties("kauth.kakao.com", List.of()))
                .hasMessageContaining("KAKAO_AUTH_BASE_URL");
        assertThatThrownBy(() -> properties("ftp://kauth.kakao.com", List.of()))
                .hasMessageContaining("absolute http(s) URL");
    }

    private static KakaoProperties properties(String authBaseUrl, List<String> redirects) {
        return new KakaoProperties(authBaseUrl, "https://kapi.kakao.com", "id", null, redirects,
                Duration.ofSeconds(1), Duration.ofSeconds(1));
    }
}
