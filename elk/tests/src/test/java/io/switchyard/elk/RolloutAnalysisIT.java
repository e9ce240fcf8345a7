package io.switchyard.elk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.switchyard.elk.ArgoAnalysis.Measurement;
import io.switchyard.elk.ArgoAnalysis.Phase;
import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.yaml.snakeyaml.Yaml;

/**
 * The analyses of deploy/k8s, as rendered by tests/k8s/run.sh (SWITCHYARD_K8S_RENDERED_DIR; skipped without it),
 * measured for real the way Argo Rollouts would (ArgoAnalysis):
 * <ul>
 * <li>pre-promotion: the smoke Job's script against the real app (target/switchyard.jar) standing in for the
 * preview Service: it passes for the new release, and fails on a wrong version, on pods of another ReplicaSet and
 * on a route that does not answer 401 problem+json;</li>
 * <li>post-promotion: the bake's queries on the real Elasticsearch node of the elk tests (EsNode: Elastic's
 * integ-test-zip, security on) holding access-log lines written in the ingress-nginx format of deploy/k8s/cluster
 * and passed through the Logstash nginx filter, for a good release and bad ones: each overlay's conditions pass,
 * fail or stay inconclusive as they must. Each request carries the rendered Secret's es-authorization, which
 * run.sh's staged analysis.env sets to a read-only file-realm user; a user without the read role gets Error.</li>
 * </ul>
 * Only what a cluster alone has is replaced: the preview Service's and Elasticsearch's addresses. And one step
 * where the node lacks it: the integ-test-zip has no painless module (and no painless for 8.x is on Maven
 * Central), while the bake's bucket_script is painless. On such a node the bake's requests go through
 * {@link BucketScriptShim}: the query minus its bucket_script aggregations runs on the node, as the same user, and
 * the shim computes those from the node's answer (the scripts' arithmetic only; anything more fails the
 * measurement). On a node with painless the requests go to it directly.
 *
 * <p>System properties: elk.es.url and elk.es.password (EsNode), rollout.es.deniedAuthorization (the
 * Authorization header of a user without the bake's role). The lines go to indices of this test's own,
 * switchyard-nginx-access-rollout-it-*, still matched by the bake's switchyard-nginx-access-*; deleted after.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RolloutAnalysisIT {

    private static final DateTimeFormatter NGINX_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy.MM.dd").withZone(ZoneOffset.UTC);
    private static final String STABLE = "5f6d8c7b9w";
    /** The new release's pod-template hash: the app below runs with it as APP_COLOR. */
    private static final String NEW = "7c8d9x6f5b";
    private static final Pattern NGINX_VARIABLE = Pattern.compile("\\$([a-z0-9_]+)");
    private static final String INDEX_PREFIX = "switchyard-nginx-access-rollout-it-";

    private final ArgoAnalysis argo = new ArgoAnalysis();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, List<JsonNode>> rendered = new LinkedHashMap<>();
    private final Set<String> indices = new TreeSet<>();
    private Path work;
    private Process app;
    private String appUrl;
    private String appVersion;
    /** Where the bake's queries go: the node, or the shim in front of it when the node has no painless. */
    private String es;
    private BucketScriptShim shim;
    private int lines;

    @BeforeAll
    void startTheAppAndElasticsearch() throws Exception {
        String dir = System.getenv("SWITCHYARD_K8S_RENDERED_DIR");
        Assumptions.assumeTrue(dir != null && !dir.isBlank(),
                "run by tests/k8s/run.sh, which renders the overlays (SWITCHYARD_K8S_RENDERED_DIR)");
        for (String env : List.of("dev", "prod")) {
            rendered.put(env, load(Path.of(dir, env + ".yaml")));
        }
        work = Files.createTempDirectory("switchyard-rollout-analysis");
        appVersion = tag(image(rendered.get("prod")));
        startApp();
        useElasticsearch();
        awaitApp();
        // Once the app is up: the lines must stay well inside the bake's 2-minute window for the whole test.
        indexScenarios();
    }

    @AfterAll
    void stop() throws Exception {
        if (app != null && app.isAlive()) {
            app.destroy();
            if (!app.waitFor(30, TimeUnit.SECONDS)) {
                app.destroyForcibly();
            }
        }
        if (!indices.isEmpty()) {
            EsNode.deleteIndices(String.join(",", indices));
        }
        if (shim != null) {
            shim.stop();
        }
        if (work != null) {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    // ---------------------------------------------------------------- pre-promotion: the smoke Job

    @Test
    void theSmokeTemplateIsTheSameInEveryOverlay() {
        JsonNode prod = withoutNamespace(one(rendered.get("prod"), "AnalysisTemplate", "switchyard-smoke"));
        JsonNode dev = withoutNamespace(one(rendered.get("dev"), "AnalysisTemplate", "switchyard-smoke"));
        assertEquals(prod, dev);
    }

    @Test
    void smokeJobPassesAgainstTheNewRelease() throws Exception {
        Measurement m = smoke(Map.of(), appUrl);
        assertEquals(Phase.SUCCESSFUL, m.phase(), m.message());
        assertTrue(m.message().contains("smoke: version " + appVersion + ", color " + NEW), m.message());
        System.out.println("[RolloutAnalysisIT] smoke Job against the app: " + m.message());
    }

    @Test
    void smokeJobFailsWhenTheReleaseReportsAnotherVersion() throws Exception {
        Measurement m = smoke(Map.of("image", "registry.example.com/switchyard:9.9.9-other@sha256:" + "0".repeat(64)),
                appUrl);
        assertEquals(Phase.FAILED, m.phase(), m.message());
        assertTrue(m.message().contains("version: expected 9.9.9-other"), m.message());
    }

    @Test
    void smokeJobFailsWhenThePreviewServiceReachesOtherPods() throws Exception {
        Measurement m = smoke(Map.of("new-hash", STABLE), appUrl);
        assertEquals(Phase.FAILED, m.phase(), m.message());
        assertTrue(m.message().contains("color: the preview Service must reach the new pods"), m.message());
    }

    @Test
    void smokeJobFailsWhenTheRouteDoesNotAnswerProblemJson() throws Exception {
        String info = http.send(HttpRequest.newBuilder(URI.create(appUrl + "/actuator/info")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/actuator/info", exchange -> answer(exchange, 200, "application/json", info));
        stub.createContext("/api/users/me", exchange -> answer(exchange, 401, "application/json", "{}"));
        stub.start();
        try {
            Measurement m = smoke(Map.of(), "http://127.0.0.1:" + stub.getAddress().getPort());
            assertEquals(Phase.FAILED, m.phase(), m.message());
            assertTrue(m.message().contains("expected 401 application/problem+json"), m.message());
        } finally {
            stub.stop(0);
        }
    }

    private Measurement smoke(Map<String, String> wrong, String previewUrl) throws Exception {
        List<JsonNode> prod = rendered.get("prod");
        JsonNode rollout = one(prod, "Rollout", "switchyard");
        JsonNode analysis = rollout.path("spec").path("strategy").path("blueGreen").path("prePromotionAnalysis");
        JsonNode template = one(prod, "AnalysisTemplate", analysis.path("templates").get(0).path("templateName").asText());
        Map<String, String> overrides = new LinkedHashMap<>(wrong);
        overrides.put("preview-url", previewUrl);
        Map<String, String> args = ArgoAnalysis.arguments(rollout, analysis, template,
                Map.of("Latest", NEW, "Stable", STABLE), secrets(prod), overrides);
        return argo.measureJob(ArgoAnalysis.resolve(ArgoAnalysis.metric(template, "smoke"), args), work);
    }

    // ---------------------------------------------------------------- post-promotion: the bake

    /** Each scenario: a namespace of its own in the index, the new release's hash, and what each overlay decides. */
    private record Scenario(String namespace, String newHash, Map<String, List<Phase>> expected) {
    }

    private static final Phase S = Phase.SUCCESSFUL;
    private static final Phase F = Phase.FAILED;
    private static final Phase I = Phase.INCONCLUSIVE;

    /** [error-ratio, p95-latency] per overlay; prod's limits are 1 % and 0.5 s, dev's 5 % and 1 s. */
    private static final List<Scenario> SCENARIOS = List.of(
            new Scenario("good", NEW, Map.of("prod", List.of(S, S), "dev", List.of(S, S))),
            new Scenario("many-5xx", "9z8b7c6d5q", Map.of("prod", List.of(F, S), "dev", List.of(F, S))),
            new Scenario("some-5xx", "2c4d5r6f7k", Map.of("prod", List.of(F, S), "dev", List.of(S, S))),
            new Scenario("no-answer", "4b2c2d9h8f", Map.of("prod", List.of(F, S), "dev", List.of(F, S))),
            new Scenario("slow", "8m7f6g5b4c", Map.of("prod", List.of(S, F), "dev", List.of(S, S))),
            new Scenario("quiet", "6s2b7c4d5t", Map.of("prod", List.of(I, I), "dev", List.of(I, I))),
            new Scenario("silent", "9f8p2d7c4b", Map.of("prod", List.of(I, I), "dev", List.of(I, I))));

    @Test
    void theBakePassesAGoodReleaseAndAbortsBadOnesInEveryOverlay() throws Exception {
        for (String env : List.of("prod", "dev")) {
            for (Scenario scenario : SCENARIOS) {
                Map<String, Measurement> measured = bake(env, scenario.namespace(), scenario.newHash(), es, Map.of());
                List<Phase> phases = measured.values().stream().map(Measurement::phase).toList();
                assertEquals(List.of("error-ratio", "p95-latency"), List.copyOf(measured.keySet()));
                assertEquals(scenario.expected().get(env), phases, env + " " + scenario.namespace() + ": " + measured);
                System.out.printf("[RolloutAnalysisIT] %s bake, %-9s error-ratio %s (%s), p95-latency %s (%s)%n", env,
                        scenario.namespace(), phases.get(0), measured.get("error-ratio").value(), phases.get(1),
                        measured.get("p95-latency").value());
            }
        }
        if (shim != null) {
            assertEquals(2 * SCENARIOS.size() * 2, shim.evaluated(), "one bucket_script per measurement");
            System.out.println("[RolloutAnalysisIT] bucket_script (painless) computed by the shim: " + shim.evaluated()
                    + " times, the queries' filters and aggregations on the node");
        }
    }

    /** The Secret's Authorization is a user of the node that can read the access log and nothing more. */
    @Test
    void theBakeAuthenticatesAsAReadOnlyUserNotTheSuperuser() throws Exception {
        String authorization = bakeArguments("prod", "good", NEW, es, Map.of()).get("es-authorization");
        assertEquals(authorization, bakeArguments("dev", "good", NEW, es, Map.of()).get("es-authorization"));
        assertTrue(authorization.startsWith("Basic ") || authorization.startsWith("ApiKey "),
                "es-authorization is the header's whole value, scheme included: '" + authorization + "'");
        HttpResponse<String> who = node("GET", "/_security/_authenticate", null, authorization);
        assertEquals(200, who.statusCode(), who.body());
        JsonNode user = Repo.parse(who.body());
        assertFalse(user.path("username").asText().equals("elastic"), "the bake must not be the superuser: " + user);
        assertFalse(user.path("roles").toString().contains("superuser"), user.toString());
        String check = """
                {"cluster": ["monitor", "manage"],
                 "index": [{"names": ["switchyard-nginx-access-any"], "privileges": ["read", "write", "delete_index"]},
                           {"names": ["switchyard-app-logs-any"], "privileges": ["read"]}]}""";
        HttpResponse<String> can = node("POST", "/_security/user/_has_privileges", check, authorization);
        assertEquals(200, can.statusCode(), can.body());
        JsonNode privileges = Repo.parse(can.body());
        JsonNode access = privileges.path("index").path("switchyard-nginx-access-any");
        assertTrue(access.path("read").asBoolean(false), privileges.toString());
        assertFalse(access.path("write").asBoolean(true) || access.path("delete_index").asBoolean(true)
                || privileges.path("index").path("switchyard-app-logs-any").path("read").asBoolean(true)
                || privileges.path("cluster").path("monitor").asBoolean(true)
                || privileges.path("cluster").path("manage").asBoolean(true), "read on the access log only: " + privileges);
        System.out.println("[RolloutAnalysisIT] the bake's Secret authenticates as " + user.path("username").asText()
                + " (" + user.path("authentication_realm").path("type").asText() + " realm, roles " + user.path("roles")
                + "): read on switchyard-nginx-access-*, no write, no other index, no cluster privilege");
    }

    /** The good release's own queries as a user without the read role: Elasticsearch refuses, the bake errors. */
    @Test
    void theBakeErrorsForAUserWithoutTheReadRole() throws Exception {
        String denied = System.getProperty("rollout.es.deniedAuthorization", "");
        assertFalse(denied.isBlank(), "-Drollout.es.deniedAuthorization: a user without the bake's role (run.sh)");
        HttpResponse<String> who = node("GET", "/_security/_authenticate", null, denied);
        assertEquals(200, who.statusCode(), "that user exists: " + who.body());
        HttpResponse<String> direct = node("POST", "/switchyard-nginx-access-*/_search?filter_path=aggregations",
                "{\"size\":0}", denied);
        assertEquals(403, direct.statusCode(), direct.body());
        Map<String, Measurement> measured = bake("prod", "good", NEW, es, Map.of("es-authorization", denied));
        assertEquals(List.of("error-ratio", "p95-latency"), List.copyOf(measured.keySet()));
        measured.forEach((metric, m) -> {
            assertEquals(Phase.ERROR, m.phase(), metric + ": " + m);
            assertTrue(m.message().contains("403"), metric + ": " + m);
        });
        System.out.println("[RolloutAnalysisIT] prod bake, good, as " + Repo.parse(who.body()).path("username").asText()
                + " (no role): error-ratio " + measured.get("error-ratio").phase() + ", p95-latency "
                + measured.get("p95-latency").phase() + " (Elasticsearch 403)");
    }

    @Test
    void theBakeErrorsWhenElasticsearchDoesNotAnswer() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Map<String, Measurement> measured = bake("prod", "good", NEW, "http://127.0.0.1:" + closed, Map.of());
        assertEquals(List.of("error-ratio", "p95-latency"), List.copyOf(measured.keySet()));
        measured.forEach((metric, m) -> assertEquals(Phase.ERROR, m.phase(), metric + ": " + m));
    }

    /** The bake's arguments as Argo resolves them; {@code more}: arguments over the rendered ones. */
    private Map<String, String> bakeArguments(String env, String namespace, String newHash, String esUrl,
            Map<String, String> more) {
        List<JsonNode> objects = rendered.get(env);
        JsonNode rollout = one(objects, "Rollout", "switchyard");
        JsonNode analysis = rollout.path("spec").path("strategy").path("blueGreen").path("postPromotionAnalysis");
        JsonNode template = bakeTemplate(env);
        // The Rollout's own namespace is its fieldRef; each scenario lives in one of its own here.
        ObjectNode inNamespace = rollout.deepCopy();
        ((ObjectNode) inNamespace.path("metadata")).put("namespace", namespace);
        Map<String, String> overrides = new LinkedHashMap<>(more);
        overrides.put("es-url", esUrl);
        return ArgoAnalysis.arguments(inNamespace, analysis, template, Map.of("Latest", newHash, "Stable", STABLE),
                secrets(objects), overrides);
    }

    private JsonNode bakeTemplate(String env) {
        List<JsonNode> objects = rendered.get(env);
        JsonNode analysis = one(objects, "Rollout", "switchyard").path("spec").path("strategy").path("blueGreen")
                .path("postPromotionAnalysis");
        return one(objects, "AnalysisTemplate", analysis.path("templates").get(0).path("templateName").asText());
    }

    /** One measurement of each of the overlay's bake metrics. */
    private Map<String, Measurement> bake(String env, String namespace, String newHash, String esUrl,
            Map<String, String> more) throws Exception {
        JsonNode template = bakeTemplate(env);
        Map<String, String> args = bakeArguments(env, namespace, newHash, esUrl, more);
        Map<String, Measurement> out = new LinkedHashMap<>();
        for (JsonNode metric : template.path("spec").path("metrics")) {
            String name = metric.path("name").asText();
            out.put(name, argo.measureWeb(ArgoAnalysis.resolve(ArgoAnalysis.metric(template, name), args)));
        }
        return out;
    }

    /**
     * Traffic of the last 65 seconds per scenario (the bake's window is 2 minutes), plus what the queries must
     * leave out: the old ReplicaSet's errors, WebSocket sessions, an hour-old outage, another namespace.
     */
    private void indexScenarios() throws Exception {
        String format = logFormat();
        PipelineEmulator pipeline = new PipelineEmulator(Repo.elk().resolve("logstash/pipeline/nginx-access.conf"));
        Instant now = Instant.now();
        StringBuilder bulk = new StringBuilder();
        Traffic t = new Traffic(format, pipeline, now, bulk);
        // good: 0.5 % 5xx, p95 about 0.05 s; the old release's 5 % errors and a 95 s chat session do not count
        t.add("good", NEW, 199, 200, "0.045");
        t.add("good", NEW, 1, 500, "0.020");
        t.add("good", NEW, 1, 101, "95.000");
        t.add("good", STABLE, 285, 200, "0.030");
        t.add("good", STABLE, 15, 500, "0.030");
        t.addAt("good", NEW, 100, 500, "0.010", now.minusSeconds(3600));
        t.add("elsewhere", NEW, 100, 500, "0.010");
        // many-5xx: 6 % 503 from the app
        t.add("many-5xx", "9z8b7c6d5q", 188, 200, "0.050");
        t.add("many-5xx", "9z8b7c6d5q", 12, 503, "0.010");
        // some-5xx: 3 %: over prod's 1 %, under dev's 5 %
        t.add("some-5xx", "2c4d5r6f7k", 194, 200, "0.050");
        t.add("some-5xx", "2c4d5r6f7k", 6, 500, "0.010");
        // no-answer: the app logs nothing wrong, but ingress-nginx answers 502 itself (no pod, no color) 20 times
        t.add("no-answer", "4b2c2d9h8f", 150, 200, "0.050");
        t.add("no-answer", "", 20, 502, "");
        // slow: no errors, a fifth of the requests take 0.9 s (p95 0.9: over prod's 0.5 s, under dev's 1 s)
        t.add("slow", "8m7f6g5b4c", 160, 200, "0.080");
        t.add("slow", "8m7f6g5b4c", 40, 200, "0.900");
        // quiet: 12 requests, fewer than either overlay's min-requests; silent (no line at all): none
        t.add("quiet", "6s2b7c4d5t", 12, 200, "0.050");

        // The templates as setup.sh puts them (the other ITs put the same ones, so they stay).
        IndexTemplates.putAll();
        JsonNode result = EsNode.call("POST", "/_bulk?refresh=true", bulk.toString());
        assertFalse(result.path("errors").asBoolean(true), "bulk errors: " + result);
        String mapped = EsNode.call("GET", "/" + String.join(",", indices)
                + "/_mapping/field/upstream_response_time", null).toString();
        assertTrue(mapped.matches(".*\"type\":\"(float|double|scaled_float|half_float)\".*"),
                "the nginx template maps upstream_response_time as a number in this test's indices: " + mapped);
        System.out.println("[RolloutAnalysisIT] Elasticsearch " + EsNode.version() + ": " + lines
                + " ingress-nginx access lines through the Logstash nginx filter into " + indices);
    }

    /** Writes access lines exactly as the cluster's log-format-upstream would, then as Logstash indexes them. */
    private final class Traffic {
        private final String format;
        private final PipelineEmulator pipeline;
        private final Instant now;
        private final StringBuilder bulk;

        Traffic(String format, PipelineEmulator pipeline, Instant now, StringBuilder bulk) {
            this.format = format;
            this.pipeline = pipeline;
            this.now = now;
            this.bulk = bulk;
        }

        void add(String namespace, String color, int count, int status, String upstreamTime) {
            for (int i = 0; i < count; i++) {
                // spread over seconds 5..65 before now, well inside the 2-minute window
                addAt(namespace, color, 1, status, upstreamTime, now.minusSeconds(5 + (i * 7L) % 60));
            }
        }

        void addAt(String namespace, String color, int count, int status, String upstreamTime, Instant at) {
            for (int i = 0; i < count; i++) {
                Map<String, String> v = new LinkedHashMap<>();
                v.put("time_iso8601", NGINX_TIME.format(at));
                v.put("remote_addr", "203.0.113." + (1 + lines % 200));
                v.put("request_method", "GET");
                v.put("uri", status == 101 ? "/ws" : "/api/home");
                v.put("status", Integer.toString(status));
                v.put("body_bytes_sent", status == 101 ? "0" : "512");
                v.put("request_time", upstreamTime.isEmpty() ? "0.000" : upstreamTime);
                boolean answered = !upstreamTime.isEmpty();
                v.put("upstream_addr", answered ? "10.244.1." + (10 + lines % 3) + ":8080" : "");
                v.put("upstream_status", answered ? Integer.toString(status) : "");
                v.put("upstream_response_time", upstreamTime);
                // ingress-nginx's upstream name: <namespace>-<service>-<port>
                v.put("proxy_upstream_name", namespace + "-switchyard-active-80");
                v.put("upstream_http_x_app_color", color);
                v.put("namespace", namespace);
                v.put("http_user_agent", "Mozilla/5.0 (sample \"quoted\")");
                v.put("req_id", String.format("%032x", ++lines));
                ObjectNode doc = pipeline.apply(Repo.parse(substitute(format, v)));
                String index = INDEX_PREFIX + DAY.format(Instant.parse(doc.path("@timestamp").asText()));
                indices.add(index);
                bulk.append("{\"index\":{\"_index\":\"").append(index).append("\"}}\n").append(doc).append('\n');
            }
        }
    }

    /** nginx's escape=json: each $variable's value with " and \ escaped; every variable must have one. */
    private static String substitute(String format, Map<String, String> values) {
        Matcher m = NGINX_VARIABLE.matcher(format);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null) {
                throw new AssertionError("the log format uses $" + m.group(1) + ", which this test has no value for");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value.replace("\\", "\\\\").replace("\"", "\\\"")));
        }
        m.appendTail(out);
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    private static String logFormat() throws IOException {
        try (Reader r = Files.newBufferedReader(Repo.root().resolve("deploy/k8s/cluster/ingress-nginx-values.yaml"))) {
            Map<String, Object> values = new Yaml().load(r);
            Map<String, Object> config = (Map<String, Object>) ((Map<String, Object>) values.get("controller")).get("config");
            return (String) config.get("log-format-upstream");
        }
    }

    // ---------------------------------------------------------------- the app and Elasticsearch

    private void startApp() throws IOException {
        Path jar = Path.of(System.getProperty("switchyard.jar", "../../target/switchyard.jar"));
        assertTrue(Files.isRegularFile(jar), "application jar not found: " + jar + " (./mvnw -DskipTests package)");
        Path copy = work.resolve("switchyard.jar");
        Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
        int port = freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-jar", copy.toString(), "--server.port=" + port)
                .redirectOutput(work.resolve("app.log").toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("SPRING_") || k.startsWith("ELASTIC_APM_")
                || k.startsWith("LOGSTASH_") || k.equals("JAVA_TOOL_OPTIONS"));
        // The embedded default: the smoke test needs the release's answers, not its stores.
        pb.environment().put("APP_VERSION", appVersion);
        pb.environment().put("APP_COLOR", NEW);
        pb.environment().put("SHUTDOWN_TIMEOUT", "2s");
        app = pb.start();
        appUrl = "http://127.0.0.1:" + port;
    }

    private void awaitApp() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (true) {
            assertTrue(app.isAlive(), "app exited: " + Files.readString(work.resolve("app.log")));
            assertTrue(System.nanoTime() < deadline, "app not live within 180 s");
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(appUrl + "/actuator/health/liveness")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(300);
        }
    }

    /** The node (EsNode); in front of it the shim when it has no painless, the bake's script language. */
    private void useElasticsearch() throws Exception {
        JsonNode languages = EsNode.call("GET", "/_script_language", null);
        boolean painless = false;
        for (JsonNode context : languages.path("language_contexts")) {
            painless |= context.path("language").asText().equals("painless");
        }
        if (painless) {
            es = EsNode.url();
            System.out.println("[RolloutAnalysisIT] the node runs painless: the bake's queries go to it unchanged");
        } else {
            shim = new BucketScriptShim(EsNode.url());
            es = shim.url();
            System.out.println("[RolloutAnalysisIT] the node has no painless (" + languages + "): each bake query on "
                    + "the node without its bucket_script, which BucketScriptShim computes from the node's answer");
        }
    }

    /** One request to the node with the given Authorization header value (no failure on non-2xx). */
    private HttpResponse<String> node(String method, String path, String body, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(EsNode.url() + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").header("Authorization", authorization);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    // ---------------------------------------------------------------- rendered objects

    private static List<JsonNode> load(Path file) throws IOException {
        List<JsonNode> objects = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (Object doc : new Yaml().loadAll(r)) {
                if (doc != null) {
                    objects.add(Repo.JSON.valueToTree(doc));
                }
            }
        }
        assertFalse(objects.isEmpty(), "nothing rendered in " + file);
        return objects;
    }

    private static JsonNode one(List<JsonNode> objects, String kind, String name) {
        List<JsonNode> found = objects.stream().filter(o -> o.path("kind").asText().equals(kind)
                && o.path("metadata").path("name").asText().equals(name)).toList();
        assertEquals(1, found.size(), kind + " " + name);
        return found.get(0);
    }

    /**
     * The rendered Secrets by name, their data as the API server stores it: kustomize v2.0.3 breaks base64
     * lines at 76 characters, which the API server's decoder (Go's) skips; Java's basic decoder would not.
     */
    private static Map<String, JsonNode> secrets(List<JsonNode> objects) {
        Map<String, JsonNode> secrets = new LinkedHashMap<>();
        objects.stream().filter(o -> o.path("kind").asText().equals("Secret")).forEach(o -> {
            ObjectNode secret = o.deepCopy();
            if (secret.get("data") instanceof ObjectNode data) {
                List<String> keys = new ArrayList<>();
                data.fieldNames().forEachRemaining(keys::add);
                keys.forEach(k -> data.put(k, data.path(k).asText().replaceAll("[\\r\\n]", "")));
            }
            secrets.put(secret.path("metadata").path("name").asText(), secret);
        });
        return secrets;
    }

    private static String image(List<JsonNode> objects) {
        return one(objects, "Rollout", "switchyard").path("spec").path("template").path("spec").path("containers")
                .get(0).path("image").asText();
    }

    /** The tag of repo:tag[@digest], as the smoke script reads it. */
    private static String tag(String image) {
        String ref = image.split("@")[0];
        return ref.substring(ref.lastIndexOf(':') + 1);
    }

    private static JsonNode withoutNamespace(JsonNode o) {
        ObjectNode copy = o.deepCopy();
        ((ObjectNode) copy.path("metadata")).remove("namespace");
        return copy;
    }

    private static void answer(com.sun.net.httpserver.HttpExchange exchange, int status, String type, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    // ---------------------------------------------------------------- painless where the node has none

    /**
     * An HTTP hop on 127.0.0.1 in front of a node without painless. A _search whose aggregations hold bucket_script
     * pipelines goes to the node without them (same path, query string, Authorization and body otherwise); from the
     * node's answer each removed bucket_script is computed in every bucket of its parent as Elasticsearch would:
     * buckets_path values (_count, a&gt;b single-bucket paths, name[percent], name.value), gap_policy
     * (insert_zeros: a missing value is 0; skip: the bucket gets none), then the script. Scripts: painless's
     * arithmetic only - numbers, params.x, + - * /, comparisons, && || and ?: - over doubles, as bucket_script
     * passes its values; anything else answers 500, so the measurement errors and the test fails. Every other
     * request, and every answer that is not 2xx, passes unchanged.
     */
    static final class BucketScriptShim {
        private final HttpServer server;
        private final String node;
        private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private int evaluated;

        private record Script(List<String> parents, String name, JsonNode spec) {
        }

        BucketScriptShim(String node) throws IOException {
            this.node = node;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", exchange -> {
                byte[] out;
                int status;
                String type = "application/json";
                try {
                    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                    List<Script> scripts = new ArrayList<>();
                    String sent = body;
                    if (exchange.getRequestURI().getRawPath().endsWith("/_search") && !body.isBlank()) {
                        ObjectNode query = (ObjectNode) Repo.parse(body);
                        strip(query, List.of(), scripts);
                        sent = query.toString();
                    }
                    HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create(node + exchange.getRequestURI()))
                            .timeout(Duration.ofSeconds(30)).method(exchange.getRequestMethod(),
                                    sent.isEmpty() ? HttpRequest.BodyPublishers.noBody()
                                            : HttpRequest.BodyPublishers.ofString(sent));
                    for (String header : List.of("Authorization", "Content-Type")) {
                        String value = exchange.getRequestHeaders().getFirst(header);
                        if (value != null) {
                            forward.header(header, value);
                        }
                    }
                    HttpResponse<String> r = client.send(forward.build(), HttpResponse.BodyHandlers.ofString());
                    status = r.statusCode();
                    type = r.headers().firstValue("Content-Type").orElse(type);
                    String answer = r.body();
                    if (status >= 200 && status < 300 && !scripts.isEmpty()) {
                        ObjectNode parsed = (ObjectNode) Repo.parse(answer);
                        for (Script script : scripts) {
                            apply(parsed.path("aggregations"), script, 0);
                        }
                        answer = parsed.toString();
                    }
                    out = answer.getBytes(StandardCharsets.UTF_8);
                } catch (IOException | RuntimeException | InterruptedException e) {
                    status = 500;
                    out = ("{\"error\":\"BucketScriptShim: " + e.toString().replace("\\", "\\\\").replace("\"", "'")
                            + "\"}").getBytes(StandardCharsets.UTF_8);
                }
                exchange.getResponseHeaders().set("Content-Type", type);
                exchange.sendResponseHeaders(status, out.length);
                exchange.getResponseBody().write(out);
                exchange.close();
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        synchronized int evaluated() {
            return evaluated;
        }

        void stop() {
            server.stop(0);
        }

        /** Removes the bucket_script aggregations under {@code container}'s aggs, noting where they were. */
        private static void strip(ObjectNode container, List<String> parents, List<Script> scripts) {
            for (String key : List.of("aggs", "aggregations")) {
                if (!(container.get(key) instanceof ObjectNode aggs)) {
                    continue;
                }
                List<String> names = new ArrayList<>();
                aggs.fieldNames().forEachRemaining(names::add);
                for (String name : names) {
                    JsonNode agg = aggs.get(name);
                    if (agg.has("bucket_script")) {
                        if (parents.isEmpty()) {
                            throw new IllegalArgumentException("bucket_script " + name + " needs a multi-bucket parent");
                        }
                        scripts.add(new Script(parents, name, agg.get("bucket_script")));
                        aggs.remove(name);
                    } else if (agg instanceof ObjectNode child) {
                        List<String> path = new ArrayList<>(parents);
                        path.add(name);
                        strip(child, List.copyOf(path), scripts);
                    }
                }
            }
        }

        /** Walks the answer down the script's parents (through every bucket) and computes it in the last's buckets. */
        private void apply(JsonNode aggs, Script script, int depth) {
            JsonNode agg = aggs.path(script.parents().get(depth));
            if (agg.isMissingNode()) {
                return;
            }
            List<JsonNode> buckets = new ArrayList<>();
            JsonNode b = agg.path("buckets");
            if (b.isObject() || b.isArray()) {
                b.elements().forEachRemaining(buckets::add);
            } else if (depth < script.parents().size() - 1) {
                buckets.add(agg); // a single-bucket aggregation on the way
            } else {
                throw new IllegalArgumentException("bucket_script " + script.name() + ": parent "
                        + script.parents().get(depth) + " has no buckets");
            }
            for (JsonNode bucket : buckets) {
                if (depth < script.parents().size() - 1) {
                    apply(bucket, script, depth + 1);
                } else {
                    compute((ObjectNode) bucket, script);
                }
            }
        }

        private void compute(ObjectNode bucket, Script script) {
            JsonNode spec = script.spec();
            String gapPolicy = spec.path("gap_policy").asText("skip");
            if (!gapPolicy.equals("skip") && !gapPolicy.equals("insert_zeros")) {
                throw new IllegalArgumentException("gap_policy " + gapPolicy + " is not emulated");
            }
            Map<String, Object> params = new LinkedHashMap<>();
            JsonNode source = spec.path("script");
            if (source.isObject()) {
                if (!source.path("lang").asText("painless").equals("painless")) {
                    throw new IllegalArgumentException("script lang " + source.path("lang"));
                }
                source.path("params").fields().forEachRemaining(e -> params.put(e.getKey(), e.getValue().asDouble()));
                source = source.path("source");
            }
            var paths = spec.path("buckets_path").fields();
            while (paths.hasNext()) {
                var e = paths.next();
                Double value = bucketValue(bucket, e.getValue().asText());
                if (value == null || value.isNaN()) {
                    if (gapPolicy.equals("skip")) {
                        return;
                    }
                    value = 0.0;
                }
                params.put(e.getKey(), value);
            }
            Object result = new Painless(source.asText(), params).evaluate();
            if (!(result instanceof Double d)) {
                throw new IllegalArgumentException("bucket_script " + script.name() + " gave no number: " + result);
            }
            bucket.putObject(script.name()).put("value", d);
            synchronized (this) {
                evaluated++;
            }
        }

        /** A buckets_path's value in a bucket: _count, a>b>..., name[key] (percentiles), name.metric or name. */
        private static Double bucketValue(JsonNode bucket, String path) {
            String[] hops = path.split(">");
            JsonNode node = bucket;
            for (int i = 0; i < hops.length - 1; i++) {
                node = node.path(hops[i]);
            }
            String last = hops[hops.length - 1];
            JsonNode value;
            Matcher keyed = Pattern.compile("^([^\\[.]+)\\[([^]]+)]$").matcher(last);
            if (last.equals("_count")) {
                value = node.path("doc_count");
            } else if (keyed.matches()) {
                value = node.path(keyed.group(1)).path("values").path(keyed.group(2));
            } else if (last.contains(".")) {
                value = node.path(last.substring(0, last.indexOf('.'))).path(last.substring(last.indexOf('.') + 1));
            } else {
                value = node.path(last).path("value");
            }
            if (value.isMissingNode()) {
                throw new IllegalArgumentException("buckets_path " + path + " is not in the answer: " + bucket);
            }
            return value.isNull() ? null : value.asDouble();
        }
    }

    /** Painless's arithmetic expressions over doubles: the part of the language the bake's scripts use. */
    static final class Painless {
        private static final Pattern TOKEN = Pattern.compile(
                "\\s*(params\\.[A-Za-z_][A-Za-z0-9_]*|\\d+(?:\\.\\d+)?|<=|>=|==|!=|&&|\\|\\||[-+*/<>?:()])");
        private final List<String> tokens = new ArrayList<>();
        private final Map<String, Object> params;
        private int at;

        Painless(String source, Map<String, Object> params) {
            this.params = params;
            Matcher m = TOKEN.matcher(source);
            int end = 0;
            while (m.lookingAt()) {
                tokens.add(m.group(1));
                end = m.end();
                m.region(end, source.length());
            }
            if (!source.substring(end).isBlank()) {
                throw new IllegalArgumentException("painless beyond arithmetic at '" + source.substring(end) + "'");
            }
        }

        Object evaluate() {
            Object value = ternary();
            if (at != tokens.size()) {
                throw new IllegalArgumentException("unexpected " + tokens.get(at));
            }
            return value;
        }

        private Object ternary() {
            Object condition = or();
            if (!accept("?")) {
                return condition;
            }
            Object yes = ternary();
            expect(":");
            Object no = ternary();
            return bool(condition) ? yes : no;
        }

        private Object or() {
            Object left = and();
            while (accept("||")) {
                Object right = and();
                left = bool(left) || bool(right);
            }
            return left;
        }

        private Object and() {
            Object left = comparison();
            while (accept("&&")) {
                Object right = comparison();
                left = bool(left) && bool(right);
            }
            return left;
        }

        private Object comparison() {
            Object left = sum();
            for (String op : List.of("<=", ">=", "==", "!=", "<", ">")) {
                if (accept(op)) {
                    double a = number(left);
                    double b = number(sum());
                    return switch (op) {
                        case "<=" -> a <= b;
                        case ">=" -> a >= b;
                        case "==" -> a == b;
                        case "!=" -> a != b;
                        case "<" -> a < b;
                        default -> a > b;
                    };
                }
            }
            return left;
        }

        private Object sum() {
            Object left = product();
            while (true) {
                if (accept("+")) {
                    left = number(left) + number(product());
                } else if (accept("-")) {
                    left = number(left) - number(product());
                } else {
                    return left;
                }
            }
        }

        private Object product() {
            Object left = unary();
            while (true) {
                if (accept("*")) {
                    left = number(left) * number(unary());
                } else if (accept("/")) {
                    left = number(left) / number(unary());
                } else {
                    return left;
                }
            }
        }

        private Object unary() {
            if (accept("-")) {
                return -number(unary());
            }
            if (accept("(")) {
                Object value = ternary();
                expect(")");
                return value;
            }
            if (at >= tokens.size()) {
                throw new IllegalArgumentException("expression ends early");
            }
            String token = tokens.get(at++);
            if (token.startsWith("params.")) {
                Object value = params.get(token.substring(7));
                if (value == null) {
                    throw new IllegalArgumentException("no " + token);
                }
                return value;
            }
            if (Character.isDigit(token.charAt(0))) {
                return Double.parseDouble(token);
            }
            throw new IllegalArgumentException("unexpected " + token);
        }

        private boolean accept(String token) {
            if (at < tokens.size() && tokens.get(at).equals(token)) {
                at++;
                return true;
            }
            return false;
        }

        private void expect(String token) {
            if (!accept(token)) {
                throw new IllegalArgumentException("expected " + token);
            }
        }

        private static double number(Object value) {
            if (value instanceof Double d) {
                return d;
            }
            throw new IllegalArgumentException("not a number: " + value);
        }

        private static boolean bool(Object value) {
            if (value instanceof Boolean b) {
                return b;
            }
            throw new IllegalArgumentException("not a boolean: " + value);
        }
    }
}
