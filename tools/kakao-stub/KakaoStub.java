// A throwaway stand-in for Kakao's kauth and kapi servers, to try the login flow locally (docs/auth.md).
// JDK only, run as a single source file:  java tools/kakao-stub/KakaoStub.java [port]   (default 9999)
//
// GET  /oauth/authorize  consents at once: 302 to redirect_uri?code=...&state=...; needs code_challenge with
//                        code_challenge_method=S256 (PKCE, RFC 7636), remembered for that code
// POST /oauth/token      a code from /oauth/authorize needs the code_verifier whose S256 is its challenge, else
//                        400 invalid_grant; code "used" -> 400 invalid_grant (KOE320); "boom" -> 500; "slow" ->
//                        answers after 30 s; any other code -> a token. "noconsent" in a code: a user without consents.
// GET  /v2/user/me       the user for that token, shaped like Kakao's documented response.
// The automated tests do not use this file; they stub Kakao with OkHttp MockWebServer.

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

public class KakaoStub {

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 9999;
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/oauth/authorize", KakaoStub::authorize);
        server.createContext("/oauth/token", KakaoStub::token);
        server.createContext("/v2/user/me", KakaoStub::userMe);
        server.start();
        System.err.println("Kakao stub on http://127.0.0.1:" + port);
    }

    private static final Map<String, String> CHALLENGES = new ConcurrentHashMap<>();

    private static void authorize(HttpExchange exchange) throws IOException {
        Map<String, String> query = parse(exchange.getRequestURI().getRawQuery());
        String challenge = query.get("code_challenge");
        if (challenge == null || !"S256".equals(query.get("code_challenge_method"))) {
            send(exchange, 400, "{\"error\":\"invalid_request\",\"error_description\":\"PKCE S256 required\"}");
            return;
        }
        String code = "stub-code-" + System.nanoTime();
        CHALLENGES.put(code, challenge);
        String redirect = query.getOrDefault("redirect_uri", "");
        String location = redirect + (redirect.contains("?") ? "&" : "?") + "code=" + code
                + "&state=" + URLEncoder.encode(query.getOrDefault("state", ""), StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Location", location);
        send(exchange, 302, "");
    }

    private static void token(HttpExchange exchange) throws IOException {
        Map<String, String> form = parse(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        String code = form.getOrDefault("code", "");
        String challenge = CHALLENGES.remove(code);
        if (challenge != null && !challenge.equals(s256(form.getOrDefault("code_verifier", "")))) {
            send(exchange, 400, """
                    {"error":"invalid_grant","error_description":"code_verifier does not match code_challenge",\
                    "error_code":"KOE320"}""");
            return;
        }
        switch (code) {
            case "used" -> send(exchange, 400, """
                    {"error":"invalid_grant","error_description":"authorization code not found for code=used",\
                    "error_code":"KOE320"}""");
            case "boom" -> send(exchange, 500, "{\"msg\":\"internal error\"}");
            case "slow" -> {
                sleep(30_000);
                send(exchange, 500, "{\"msg\":\"too late\"}");
            }
            default -> send(exchange, 200, """
                    {"token_type":"bearer","access_token":"stub-token-%s","expires_in":43199,\
                    "refresh_token":"stub-refresh","refresh_token_expires_in":5184000}""".formatted(code));
        }
    }

    private static void userMe(HttpExchange exchange) throws IOException {
        String authorization = String.valueOf(exchange.getRequestHeaders().getFirst("Authorization"));
        if (!authorization.startsWith("Bearer stub-token-")) {
            send(exchange, 401, "{\"msg\":\"this access token does not exist\",\"code\":-401}");
            return;
        }
        if (authorization.contains("noconsent")) {
            send(exchange, 200, """
                    {"id":2002,"kakao_account":{"profile_nickname_needs_agreement":true,\
                    "profile_image_needs_agreement":true,"email_needs_agreement":true}}""");
            return;
        }
        send(exchange, 200, """
                {"id":1001,"connected_at":"2024-05-01T10:00:00Z","kakao_account":{\
                "profile":{"nickname":"Ryan","profile_image_url":"https://k.kakaocdn.net/dn/ryan_640.jpg",\
                "thumbnail_image_url":"https://k.kakaocdn.net/dn/ryan_110.jpg","is_default_image":false},\
                "has_email":true,"is_email_valid":true,"is_email_verified":true,"email":"ryan@example.com"}}""");
    }

    private static String s256(String verifier) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static Map<String, String> parse(String encoded) {
        Map<String, String> values = new HashMap<>();
        if (encoded == null || encoded.isEmpty()) {
            return values;
        }
        for (String pair : encoded.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                values.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json;charset=UTF-8");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
        exchange.close();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
