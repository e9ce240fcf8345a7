package io.switchyard.auth;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;

/**
 * A stand-in for Kakao's kauth and kapi servers on 127.0.0.1 (OkHttp MockWebServer). Tests set what the token and
 * user endpoints answer; the payloads follow Kakao's documented shapes. One instance serves the whole test JVM so
 * the Spring context pointing at it is shared.
 */
final class KakaoStub {

    static final String AUTH_PREFIX = "/kauth";
    static final String API_PREFIX = "/kapi";

    private static final KakaoStub INSTANCE = new KakaoStub();

    private final MockWebServer server = new MockWebServer();
    private volatile MockResponse token;
    private volatile MockResponse user;

    private KakaoStub() {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                String path = request.getPath() == null ? "" : request.getPath();
                if (path.startsWith(AUTH_PREFIX + "/oauth/token")) {
                    return token;
                }
                if (path.startsWith(API_PREFIX + "/v2/user/me")) {
                    return user;
                }
                return new MockResponse().setResponseCode(404);
            }
        });
        try {
            server.start(java.net.InetAddress.getLoopbackAddress(), 0);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the Kakao stub", e);
        }
        reset();
    }

    static KakaoStub instance() {
        return INSTANCE;
    }

    String authBaseUrl() {
        return "http://127.0.0.1:" + server.getPort() + AUTH_PREFIX;
    }

    String apiBaseUrl() {
        return "http://127.0.0.1:" + server.getPort() + API_PREFIX;
    }

    /** Forgets earlier answers and recorded requests; both endpoints answer 500 until told otherwise. */
    void reset() {
        token = json(500, "{\"msg\":\"not stubbed\"}");
        user = json(500, "{\"msg\":\"not stubbed\"}");
        try {
            while (server.takeRequest(1, TimeUnit.MILLISECONDS) != null) {
                // drain
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void tokenAnswers(MockResponse response) {
        token = response;
    }

    void userAnswers(MockResponse response) {
        user = response;
    }

    /** Both endpoints succeed: a token for this code, then this user document. */
    void succeedsWith(String userJson) {
        tokenAnswers(json(200, tokenJson("kakao-access-" + System.nanoTime())));
        userAnswers(json(200, userJson));
    }

    List<RecordedRequest> requests() throws InterruptedException {
        List<RecordedRequest> requests = new ArrayList<>();
        RecordedRequest request;
        while ((request = server.takeRequest(50, TimeUnit.MILLISECONDS)) != null) {
            requests.add(request);
        }
        return requests;
    }

    static MockResponse json(int status, String body) {
        return new MockResponse().setResponseCode(status)
                .setHeader("Content-Type", "application/json;charset=UTF-8")
                .setBody(body);
    }

    static String tokenJson(String accessToken) {
        return """
                {"token_type":"bearer","access_token":"%s","expires_in":43199,
                 "refresh_token":"kakao-refresh","refresh_token_expires_in":5184000,
                 "scope":"account_email profile_image profile_nickname"}""".formatted(accessToken);
    }

    /** A user who agreed to everything, as {@code /v2/user/me} documents it. */
    static String fullConsentUser(long id, String nickname, String email) {
        return """
                {"id":%d,"connected_at":"2024-05-01T10:00:00Z",
                 "properties":{"nickname":"%s","profile_image":"https://k.kakaocdn.net/dn/p/img_640x640.jpg",
                               "thumbnail_image":"https://k.kakaocdn.net/dn/p/img_110x110.jpg"},
                 "kakao_account":{"profile_nickname_needs_agreement":false,"profile_image_needs_agreement":false,
                   "profile":{"nickname":"%s","thumbnail_image_url":"https://k.kakaocdn.net/dn/p/img_110x110.jpg",
                              "profile_image_url":"https://k.kakaocdn.net/dn/p/img_640x640.jpg","is_default_image":false},
                   "has_email":true,"email_needs_agreement":false,"is_email_valid":true,"is_email_verified":true,
                   "email":"%s"}}""".formatted(id, nickname, nickname, email);
    }

    /** A user who declined every optional consent: only the id is left. */
    static String noConsentUser(long id) {
        return """
                {"id":%d,"connected_at":"2024-05-01T10:00:00Z",
                 "kakao_account":{"profile_nickname_needs_agreement":true,"profile_image_needs_agreement":true,
                   "has_email":true,"email_needs_agreement":true}}""".formatted(id);
    }

    static String invalidGrant() {
        return """
                {"error":"invalid_grant","error_description":"authorization code not found for code=abc",
                 "error_code":"KOE320"}""";
    }
}
