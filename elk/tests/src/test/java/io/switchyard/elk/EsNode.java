package io.switchyard.elk;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/**
 * The real Elasticsearch node tests/elk/run.sh starts (Elastic's integ-test-zip of the version elk/.env
 * pins, security on): its URL and the elastic password come as system properties elk.es.url and
 * elk.es.password. Without them the ITs that need it fail: they never skip.
 */
final class EsNode {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private EsNode() {
    }

    static String url() {
        String url = System.getProperty("elk.es.url", "");
        if (url.isBlank()) {
            throw new AssertionError("no Elasticsearch node: run through tests/elk/run.sh (sets -Delk.es.url)");
        }
        return url;
    }

    static String password() {
        return System.getProperty("elk.es.password", "");
    }

    /** One request as the elastic superuser; fails the test on a non-2xx answer. */
    static JsonNode call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", path.startsWith("/_bulk") ? "application/x-ndjson" : "application/json")
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        ("elastic:" + password()).getBytes(StandardCharsets.UTF_8)));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new AssertionError(method + " " + path + " -> " + r.statusCode() + ": " + r.body());
        }
        return Repo.parse(r.body());
    }

    static String version() throws Exception {
        // Not GET /: in 8.x that handler is the rest-root module, which the integ-test-zip does not hold.
        return call("GET", "/_nodes/_local?filter_path=nodes.*.version", null).path("nodes").elements().next()
                .path("version").asText();
    }

    /** Deletes indices by exact names (action.destructive_requires_name is on, as in production). */
    static void deleteIndices(String names) throws Exception {
        call("DELETE", "/" + names + "?ignore_unavailable=true", null);
    }
}
