package io.switchyard.auth;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.HttpUrl;
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
 * the Spring context pointing at it is shared (public: the chat ITs sign in through it too).
 *
 * <p>{@code /oauth/authorize} consents at once, as the browser step: a 302 to the redirect URI with a new code and
 * the state. A code issued there is bound to the request's PKCE challenge: its token exchange is refused
 * ({@code invalid_grant}) unless {@code code_verifier} is the challenge's S256 preimage (RFC 7636), then answers a
 * token. Other codes get whatever the test set.
 */
public final class KakaoStub {

    static final String AUTH_PREFIX = "/kauth";
    static final String API_PREFIX = "/kapi";

    private static final KakaoStub INSTANCE = new KakaoStub();

    private final MockWebServer server = new MockWebServer();
    private volatile MockResponse token;
    private volatile MockResponse user;
    private final Map<String, String> challenges = new ConcurrentHashMap<>();
    private final AtomicLong codes = new AtomicLong();

    private KakaoStub() {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                String path = request.getPath() == null ? "" : request.getPath();
                if (path.startsWith(AUTH_PREFIX + "/oauth/authorize")) {
                    return authorize(request);
                }
                if (path.startsWith(AUTH_PREFIX + "/oauth/token")) {
                    String code = form(request.getBody().clone().readUtf8()).get("code");
                    String challenge = code == null ? null : challenges.remove(code);
                    return challenge == null ? token : exchangeChecked(request, challenge);
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

    public static KakaoStub instance() {
        return INSTANCE;
    }

    public String authBaseUrl() {
        return "http://127.0.0.1:" + server.getPort() + AUTH_PREFIX;
    }

    public String apiBaseUrl() {
        return "http://127.0.0.1:" + server.getPort() + API_PREFIX;
    }

    private MockResponse authorize(RecordedRequest request) {
        HttpUrl url = request.getRequestUrl();
        String challenge = url.queryParameter("code_challenge");
        String redirect = url.queryParameter("redirect_uri");
        if (redirect == null || challenge == null || !"S256".equals(url.queryParameter("code_challenge_method"))) {
            return json(400, "{\"error\":\"invalid_request\",\"error_description\":\"PKCE S256 required\"}");
        }
        String code = "pkce-code-" + codes.incrementAndGet();
        challenges.put(code, challenge);
        String location = HttpUrl.get(redirect).newBuilder().addQueryParameter("code", code)
                .addQueryParameter("state", url.queryParameter("state")).build().toString();
        return new MockResponse().setResponseCode(302).setHeader("Location", location);
    }

    private MockResponse exchangeChecked(RecordedRequest request, String challenge) {
        String verifier = form(request.getBody().clone().readUtf8()).get("code_verifier");
        if (verifier == null || !challenge.equals(s256(verifier))) {
            return json(400, """
                    {"error":"invalid_grant","error_description":"code_verifier does not match code_challenge",\
                    "error_code":"KOE320"}""");
        }
        return token;
    }

    static String s256(String verifier) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    static Map<String, String> form(String body) {
        Map<String, String> values = new java.util.HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                values.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    /** Forgets earlier answers and recorded requests; both endpoints answer 500 until told otherwise. */
    void reset() {
        challenges.clear();
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
    public void succeedsWith(String userJson) {
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
    public static String fullConsentUser(long id, String nickname, String email) {
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
