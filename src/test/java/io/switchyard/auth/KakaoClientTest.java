package io.switchyard.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.switchyard.support.error.ApiException;
import io.switchyard.testsupport.FreePort;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.web.client.RestClient;

/** The failures no stub server can produce: nobody listening at all. */
class KakaoClientTest {

    @Test
    void kakaoNotListeningIs503AtOnce() {
        String nobody = "http://127.0.0.1:" + FreePort.pick();
        KakaoClient client = new AuthConfig().kakaoClient(RestClient.builder(), new KakaoProperties(nobody, nobody,
                "client", null, List.of(), Duration.ofSeconds(1), Duration.ofSeconds(1)));

        long started = System.nanoTime();
        ApiException failure = catchThrowableOfType(ApiException.class, () -> client.exchangeCode("code", "https://x", "verifier"));

        assertThat(failure.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(failure.code()).isEqualTo("kakao-unavailable");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
    }
}
