package io.switchyard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/** The embedded default: no configuration at all, every store in-process, and the API works. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "switchyard.app.color=green")
class EmbeddedDefaultIT {

    @Autowired
    TestRestTemplate http;

    @Test
    void readinessIsUpWithEveryStoreEmbedded() {
        ResponseEntity<JsonNode> readiness = http.getForEntity("/actuator/health/readiness", JsonNode.class);

        assertThat(readiness.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(readiness.getBody().path("status").asText()).isEqualTo("UP");
    }

    @Test
    void infoReportsVersionColorAndBuild() {
        ResponseEntity<JsonNode> info = http.getForEntity("/actuator/info", JsonNode.class);

        JsonNode app = info.getBody().path("app");
        assertThat(app.path("color").asText()).isEqualTo("green");
        assertThat(app.path("version").asText()).isNotBlank().isNotEqualTo("@project.version@");
        assertThat(info.getBody().path("build").path("time").asText()).isNotBlank();
    }

    @Test
    void everyResponseCarriesTheColorHeaderEvenErrors() {
        ResponseEntity<String> ok = http.getForEntity("/actuator/health/liveness", String.class);
        ResponseEntity<String> unauthorized = http.getForEntity("/api/users/me", String.class);
        ResponseEntity<String> notFound = http.getForEntity("/no-such-page", String.class);

        assertThat(ok.getHeaders().getFirst("X-App-Color")).isEqualTo("green");
        assertThat(unauthorized.getHeaders().getFirst("X-App-Color")).isEqualTo("green");
        assertThat(notFound.getHeaders().getFirst("X-App-Color")).isEqualTo("green");
    }

    @Test
    void apiWithoutTokenIs401ProblemWithBearerChallenge() {
        ResponseEntity<JsonNode> response = http.getForEntity("/api/users/me", JsonNode.class);

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(response.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
        assertThat(response.getHeaders().getFirst("WWW-Authenticate")).startsWith("Bearer");
        assertThat(response.getBody().path("code").asText()).isEqualTo("unauthorized");
    }

    @Test
    void kakaoLoginWithoutAClientIdAnswersAClearProblem() {
        ResponseEntity<JsonNode> response = http.getForEntity(
                "/api/auth/kakao/authorize-url?redirectUri=http://localhost:3000/callback", JsonNode.class);

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(response.getBody().path("code").asText()).isEqualTo("kakao-not-configured");
        assertThat(response.getBody().path("detail").asText()).contains("KAKAO_CLIENT_ID");
    }

    @Test
    void actuatorEndpointsBeyondHealthAndInfoAreNotExposed() {
        ResponseEntity<String> env = http.getForEntity("/actuator/env", String.class);

        assertThat(env.getStatusCode().is4xxClientError()).isTrue();
        assertThat(env.getBody()).doesNotContain("JAVA_HOME");
    }
}
