package io.switchyard.auth;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.switchyard.support.error.ApiException;
import io.switchyard.support.error.ErrorCode;
import java.io.IOException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.util.StringUtils;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * Kakao's two calls of the authorization-code flow. Every failure becomes an {@link ApiException} with a stable
 * code: a code Kakao refuses is the client's problem (401); anything else Kakao does wrong is a gateway problem
 * (502), and a Kakao we cannot reach in time is 503. Codes and tokens are never logged.
 */
class KakaoClient {

    private static final Logger log = LoggerFactory.getLogger(KakaoClient.class);

    private final RestClient http;
    private final KakaoProperties properties;

    KakaoClient(RestClient http, KakaoProperties properties) {
        this.http = http;
        this.properties = properties;
    }

    /** {@code POST {kauth}/oauth/token}, form-encoded, as Kakao documents it, with the PKCE verifier. */
    KakaoToken exchangeCode(String code, String redirectUri, String codeVerifier) {
        MultiValueMap<String, String> form = new LinkedMultiValueMap<>();
        form.add("grant_type", "authorization_code");
        form.add("client_id", properties.clientId());
        form.add("redirect_uri", redirectUri);
        form.add("code", code);
        form.add("code_verifier", codeVerifier);
        if (properties.hasClientSecret()) {
            form.add("client_secret", properties.clientSecret());
        }
        KakaoToken token = call("token", () -> http.post()
                .uri(endpoint(properties.authBaseUrl(), "/oauth/token"))
                .contentType(MediaType.APPLICATION_FORM_URLENCODED)
                .accept(MediaType.APPLICATION_JSON)
                .body(form)
                .exchange((request, response) -> {
                    HttpStatusCode status = response.getStatusCode();
                    if (status.is2xxSuccessful()) {
                        return response.bodyTo(KakaoToken.class);
                    }
                    KakaoError error = status.is4xxClientError() ? readError(response) : null;
                    throw failure("token", status, error);
                }));
        if (token == null || !StringUtils.hasText(token.accessToken())) {
            throw badGateway("token", "answered without an access token");
        }
        return token;
    }

    /** {@code GET {kapi}/v2/user/me} with the Kakao access token just obtained. */
    KakaoUser fetchUser(String kakaoAccessToken) {
        KakaoUser user = call("user", () -> http.get()
                .uri(endpoint(properties.apiBaseUrl(), "/v2/user/me") + "?secure_resource=true")
                .headers(headers -> headers.setBearerAuth(kakaoAccessToken))
                .accept(MediaType.APPLICATION_JSON)
                .exchange((request, response) -> {
                    HttpStatusCode status = response.getStatusCode();
                    if (status.is2xxSuccessful()) {
                        return response.bodyTo(KakaoUser.class);
                    }
                    // even a 4xx: a token Kakao issued a moment ago and now refuses is Kakao's fault, not the client's
                    throw badGateway("user", "answered " + status.value());
                }));
        if (user == null || user.id() == null) {
            throw badGateway("user", "answered without a user id");
        }
        return user;
    }

    private static <T> T call(String what, Supplier<T> exchange) {
        try {
            return exchange.get();
        } catch (ApiException alreadyMapped) {
            throw alreadyMapped;
        } catch (RestClientException failure) {
            if (failure instanceof ResourceAccessException || isTransportFailure(failure)) {
                // refused, reset, or past the read timeout (the body is cancelled then, mid-read)
                log.warn("Kakao {} call failed: {}", what, failure.getMessage());
                throw new ApiException(ErrorCode.KAKAO_UNAVAILABLE,
                        "Kakao did not answer in time; try again shortly.", failure);
            }
            log.warn("Kakao {} call answered unreadably: {}", what, failure.getMessage());
            throw badGateway(what, "answered with a body we cannot read");
        }
    }

    /** An I/O failure under a conversion error: the connection broke, the JSON was not wrong. */
    private static boolean isTransportFailure(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof JsonProcessingException) {
                return false;
            }
            if (cause instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    private static KakaoError readError(RestClient.RequestHeadersSpec.ConvertibleClientHttpResponse response) {
        try {
            return response.bodyTo(KakaoError.class);
        } catch (RuntimeException notJson) {
            return null;
        }
    }

    private static ApiException failure(String what, HttpStatusCode status, KakaoError error) {
        if (error != null && error.isInvalidGrant()) {
            log.info("Kakao refused the authorization code ({} {})", error.error(), error.errorCode());
            return new ApiException(ErrorCode.KAKAO_INVALID_GRANT,
                    "The Kakao authorization code is invalid, expired or already used; start the login again.");
        }
        if (status.is4xxClientError()) {
            // invalid_client, redirect_uri mismatch...: our configuration, nothing the caller can fix
            log.warn("Kakao {} call refused with {} ({} {})", what, status.value(),
                    error == null ? "-" : error.error(), error == null ? "-" : error.errorCode());
            return new ApiException(ErrorCode.KAKAO_REJECTED, "Kakao refused the login request.");
        }
        return badGateway(what, "answered " + status.value());
    }

    private static ApiException badGateway(String what, String why) {
        log.warn("Kakao {} call {}", what, why);
        return new ApiException(ErrorCode.KAKAO_BAD_GATEWAY, "Kakao answered with an error; try again later.");
    }

    private static String endpoint(String baseUrl, String path) {
        return UriComponentsBuilder.fromUriString(baseUrl).path(path).build().toUriString();
    }

    /** Kakao's token response; only what we use. */
    record KakaoToken(@JsonProperty("access_token") String accessToken) {
    }

    /** Kakao's OAuth error body, e.g. {@code {"error":"invalid_grant","error_code":"KOE320",...}}. */
    record KakaoError(String error, @JsonProperty("error_code") String errorCode) {

        boolean isInvalidGrant() {
            return "invalid_grant".equals(error) || "KOE320".equals(errorCode);
        }
    }
}
