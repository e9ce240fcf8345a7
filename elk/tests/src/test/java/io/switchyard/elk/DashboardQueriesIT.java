package io.switchyard.elk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A real Elasticsearch node (the version production pins, started by tests/elk/run.sh) gets the index templates and a
 * day of sample events: nginx access lines and app log lines passed through the Logstash filter
 * emulation, deploy events written by the real emit_deploy_event. Then the dashboard's own queries,
 * read from the saved objects NDJSON, must return the numbers the sample was built with.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardQueriesIT {

    private static final DateTimeFormatter DAY_SUFFIX = DateTimeFormatter.ofPattern("yyyy.MM.dd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter MONTH_SUFFIX = DateTimeFormatter.ofPattern("yyyy.MM").withZone(ZoneOffset.UTC);

    private final SavedObjects objects = new SavedObjects();
    private final List<ObjectNode> nginx = new ArrayList<>();
    private final List<ObjectNode> app = new ArrayList<>();
    private final List<ObjectNode> metrics = new ArrayList<>();
    private List<ObjectNode> deploys;

    @BeforeAll
    void indexTheSampleDay() throws Exception {
        IndexTemplates.putAll();

        SampleDay day = new SampleDay();
        PipelineEmulator nginxPipeline = new PipelineEmulator(Repo.elk().resolve("logstash/pipeline/nginx-access.conf"));
        PipelineEmulator appPipeline = new PipelineEmulator(Repo.elk().resolve("logstash/pipeline/app-logs.conf"));
        PipelineEmulator deployPipeline = new PipelineEmulator(Repo.elk().resolve("logstash/pipeline/deploy-events.conf"));
        day.nginxRaw.forEach(l -> nginx.add(nginxPipeline.apply(l)));
        day.appLogs.forEach(l -> app.add(appPipeline.apply(l)));
        PipelineEmulator metricsPipeline = new PipelineEmulator(Repo.elk().resolve("logstash/pipeline/host-metrics.conf"));
        day.hostMetrics.forEach(l -> metrics.add(metricsPipeline.apply(l)));
        deploys = day.deployEvents().stream().map(deployPipeline::apply).toList();

        StringBuilder bulk = new StringBuilder();
        appendBulk(bulk, nginx, "switchyard-nginx-access-", DAY_SUFFIX);
        appendBulk(bulk, app, "switchyard-app-logs-", DAY_SUFFIX);
        appendBulk(bulk, metrics, "switchyard-host-metrics-", DAY_SUFFIX);
        appendBulk(bulk, deploys, "switchyard-deploy-events-", MONTH_SUFFIX);
        JsonNode result = call("POST", "/_bulk?refresh=true", bulk.toString());
        assertFalse(result.path("errors").asBoolean(true), "bulk errors: " + firstBulkError(result));
        System.out.println("[DashboardQueriesIT] Elasticsearch " + EsNode.version()
                + " at " + EsNode.url() + ": indexed nginx=" + nginx.size() + " app=" + app.size() + " deploy=" + deploys.size());
    }

    @AfterAll
    void deleteTheSampleDay() throws Exception {
        EsNode.deleteIndices("switchyard-nginx-access-2026.11.20,switchyard-app-logs-2026.11.20,switchyard-deploy-events-2026.11,"
                + "switchyard-host-metrics-2026.11.20");
    }

    @Test
    void indicesGotTheTemplateMappingsAndEveryEvent() throws Exception {
        JsonNode mapping = call("GET", "/switchyard-nginx-access-2026.11.20/_mapping", null)
                .path("switchyard-nginx-access-2026.11.20").path("mappings").path("properties");
        assertEquals("integer", mapping.path("status").path("type").asText());
        assertEquals("float", mapping.path("upstream_response_time").path("type").asText());
        assertEquals("ip", mapping.path("remote_addr").path("type").asText());
        assertEquals(nginx.size(), count("switchyard-nginx-access-2026.11.20"));
        assertEquals(app.size(), count("switchyard-app-logs-2026.11.20"));
        assertEquals(deploys.size(), count("switchyard-deploy-events-2026.11"));
        assertEquals(1447, nginx.size());
    }

    @Test
    void fiveHundredsByColorOverTime() throws Exception {
        JsonNode aggs = search(objects.aggBased("switchyard-5xx-by-color", SampleDay.DAY, SampleDay.DAY_END));
        Map<String, Long> actual = new TreeMap<>();
        for (JsonNode hour : aggs.path("2").path("buckets")) {
            for (JsonNode color : hour.path("3").path("buckets")) {
                actual.put(hourKey(hour) + " " + color.path("key").asText(), color.path("doc_count").asLong());
            }
        }
        Map<String, Long> expected = nginx.stream()
                .filter(d -> d.path("status").asInt() >= 500 && d.path("status").asInt() <= 599 && d.has("upstream_color"))
                .collect(Collectors.groupingBy(d -> hourOf(d) + " " + d.path("upstream_color").asText(), TreeMap::new, Collectors.counting()));
        assertEquals(expected, actual);
        System.out.println("[DashboardQueriesIT] 5xx by color and hour: " + actual);
        // The sample's story: blue's 500s at 03:00, green's 502s right after the switch at 12:00, and
        // the two 504s nginx generated itself at 18:00 (no X-App-Color): counted for green, where nginx routed them.
        assertEquals(Map.of("2026-11-20T03 blue", 3L, "2026-11-20T12 green", 10L, "2026-11-20T18 green", 2L), actual);
    }

    @Test
    void p95UpstreamTimeByColor() throws Exception {
        JsonNode aggs = search(objects.aggBased("switchyard-p95-upstream-by-color", SampleDay.DAY, SampleDay.DAY_END));
        Map<String, Double> actual = new TreeMap<>();
        for (JsonNode hour : aggs.path("2").path("buckets")) {
            for (JsonNode color : hour.path("3").path("buckets")) {
                actual.put(hourKey(hour) + " " + color.path("key").asText(), color.path("1").path("values").path("95.0").asDouble());
            }
        }
        Map<String, List<Double>> samples = nginx.stream().filter(d -> d.has("upstream_response_time") && d.has("upstream_color"))
                .collect(Collectors.groupingBy(d -> hourOf(d) + " " + d.path("upstream_color").asText(), TreeMap::new,
                        Collectors.mapping(d -> d.path("upstream_response_time").asDouble(), Collectors.toList())));
        assertEquals(samples.keySet(), actual.keySet());
        assertEquals(24, actual.size());
        samples.forEach((key, values) -> {
            List<Double> sorted = values.stream().sorted().toList();
            double nearestRank = sorted.get((int) Math.ceil(0.95 * sorted.size()) - 1);
            assertEquals(nearestRank, actual.get(key), 0.05, "p95 " + key);
        });
        System.out.println("[DashboardQueriesIT] p95 upstream time: 24 color-hours match nearest-rank within 0.05 s, e.g. "
                + "05h blue=" + actual.get("2026-11-20T05 blue") + " 15h green=" + actual.get("2026-11-20T15 green"));
        assertEquals(0.3, actual.get("2026-11-20T05 blue"), 0.05);
        assertEquals(0.9, actual.get("2026-11-20T15 green"), 0.05);
    }

    @Test
    void topErrors() throws Exception {
        JsonNode aggs = search(objects.aggBased("switchyard-top-errors", SampleDay.DAY, SampleDay.DAY_END));
        Map<String, Long> actual = new TreeMap<>();
        List<String> order = new ArrayList<>();
        for (JsonNode message : aggs.path("2").path("buckets")) {
            order.add(message.path("key").asText());
            for (JsonNode color : message.path("3").path("buckets")) {
                actual.put(message.path("key").asText() + " | " + color.path("key").asText(), color.path("doc_count").asLong());
            }
        }
        Map<String, Long> expected = app.stream().filter(d -> d.path("level").asText().equals("ERROR"))
                .collect(Collectors.groupingBy(d -> d.path("message").asText() + " | " + d.path("app").path("color").asText(),
                        TreeMap::new, Collectors.counting()));
        assertEquals(expected, actual);
        System.out.println("[DashboardQueriesIT] top errors: " + actual);
        assertEquals(List.of("Kakao token exchange failed: 503 from kauth", "Redis connection refused",
                "Unhandled exception in ChatController"), order, "most frequent first");
    }

    @Test
    void requestsAndFiveHundredsSeriesOfTheTimeseriesPanel() throws Exception {
        for (String series : List.of("requests", "errors-5xx")) {
            JsonNode aggs = search(objects.tsvbSeries("switchyard-requests-5xx-by-color", series, SampleDay.DAY, SampleDay.DAY_END));
            Map<String, Long> actual = new TreeMap<>();
            for (JsonNode color : aggs.path("split").path("buckets")) {
                for (JsonNode hour : color.path("timeseries").path("buckets")) {
                    if (hour.path("doc_count").asLong() > 0) {
                        actual.put(color.path("key").asText() + " " + hourKey(hour), hour.path("doc_count").asLong());
                    }
                }
            }
            boolean only5xx = series.equals("errors-5xx");
            Map<String, Long> expected = nginx.stream().filter(d -> d.has("upstream_color"))
                    .filter(d -> !only5xx || d.path("status").asInt() / 100 == 5)
                    .collect(Collectors.groupingBy(d -> d.path("upstream_color").asText() + " " + hourOf(d), TreeMap::new,
                            Collectors.counting()));
            assertEquals(expected, actual, series);
        }
    }

    @Test
    void diskUsedByHostAndMount() throws Exception {
        JsonNode aggs = search(objects.aggBased("switchyard-disk-used-by-mount", SampleDay.DAY, SampleDay.DAY_END));
        Map<String, Double> actual = new TreeMap<>();
        for (JsonNode hour : aggs.path("2").path("buckets")) {
            for (JsonNode host : hour.path("3").path("buckets")) {
                for (JsonNode mount : host.path("4").path("buckets")) {
                    actual.put(hourKey(hour) + " " + host.path("key").asText() + " " + mount.path("key").asText(),
                            mount.path("1").path("value").asDouble());
                }
            }
        }
        assertEquals(48, actual.size(), "24 hours x 2 mounts: " + actual.keySet());
        for (int h = 0; h < 24; h++) {
            String hour = String.format("2026-11-20T%02d app-1 ", h);
            assertEquals(SampleDay.rootUsedPct(h, 50), actual.get(hour + "/"), 0.01, "max of the hour, root, " + h + "h");
            assertEquals(30.0, actual.get(hour + "/srv"), 0.01);
        }
        System.out.println("[DashboardQueriesIT] disk used by mount: 48 host-mount-hours, root 00h="
                + actual.get("2026-11-20T00 app-1 /") + "% 23h=" + actual.get("2026-11-20T23 app-1 /") + "%");
    }

    @Test
    void dockerImagesAndVolumes() throws Exception {
        JsonNode aggs = search(objects.aggBased("switchyard-docker-usage", SampleDay.DAY, SampleDay.DAY_END));
        JsonNode hours = aggs.path("3").path("buckets");
        assertEquals(24, hours.size());
        JsonNode last = hours.get(23).path("4").path("buckets").get(0);
        assertEquals("app-1", last.path("key").asText());
        assertEquals(3_300_000_000L, last.path("1").path("value").asLong(), "images bytes at 23h");
        assertEquals(500_000_000L, last.path("2").path("value").asLong(), "volumes bytes");
    }

    @Test
    void deployMarkers() throws Exception {
        SavedObjects.Request request = objects.tsvbAnnotation("switchyard-requests-5xx-by-color", "deploy-markers",
                SampleDay.DAY, SampleDay.DAY_END);
        JsonNode hits = call("POST", "/" + request.index() + "/_search", request.body().toString()).path("hits").path("hits");
        List<String> actual = new ArrayList<>();
        for (JsonNode hit : hits) {
            JsonNode s = hit.path("_source");
            actual.add(s.path("@timestamp").asText() + " " + s.path("event").path("action").asText() + " "
                    + s.path("deploy").path("env").asText() + " " + s.path("deploy").path("from_color").asText() + "->"
                    + s.path("deploy").path("to_color").asText());
            for (String field : List.of("deploy.image", "deploy.env", "event.action")) {
                assertTrue(ContractCheck.flatten(s).containsKey(field), "annotation field " + field + " in " + s);
            }
        }
        System.out.println("[DashboardQueriesIT] deploy markers: " + actual);
        assertEquals(List.of(
                "2026-11-20T05:01:31Z failed prod blue->green",
                "2026-11-20T12:00:00Z switched prod blue->green",
                "2026-11-20T15:02:00Z switched dev green->blue",
                "2026-11-20T15:10:00Z rolled_back dev blue->green"), actual);
    }

    @Test
    void deployEventsSavedSearch() throws Exception {
        SavedObjects.Request request = objects.savedSearch("switchyard-deploy-events-search", SampleDay.DAY, SampleDay.DAY_END);
        JsonNode result = call("POST", "/" + request.index() + "/_search", request.body().toString()).path("hits");
        assertEquals(deploys.size(), result.path("total").path("value").asInt());
        assertEquals(11, deploys.size());
        JsonNode newest = result.path("hits").get(0).path("_source");
        assertEquals("rolled_back", newest.path("event").path("action").asText());
        ObjectNode latestSample = deploys.stream().max(Comparator.comparing(d -> d.path("@timestamp").asText())).orElseThrow();
        assertEquals(latestSample.path("deploy").path("id").asText(), newest.path("deploy").path("id").asText());
        // durations are numbers in Elasticsearch, so Kibana can sum and sort them
        JsonNode sum = call("POST", "/switchyard-deploy-events-*/_search",
                "{\"size\":0,\"aggs\":{\"d\":{\"sum\":{\"field\":\"deploy.duration_ms\"}}}}").path("aggregations");
        long expectedSum = deploys.stream().mapToLong(d -> d.path("deploy").path("duration_ms").asLong(0)).sum();
        assertEquals(expectedSum, sum.path("d").path("value").asLong());
    }

    /**
     * The fixtures captured from the real app (ApmAgentIT checks they still have its shape) and the
     * nginx edge cases are accepted by the real node under the templates, and stay searchable.
     */
    @Test
    void capturedLinesIndexWithoutMappingErrors() throws Exception {
        PipelineEmulator appPipeline = new PipelineEmulator(Repo.elk().resolve("logstash/pipeline/app-logs.conf"));
        PipelineEmulator nginxPipeline = new PipelineEmulator(Repo.elk().resolve("logstash/pipeline/nginx-access.conf"));
        List<ObjectNode> appLines = Fixtures.jsonLines("app-log-lines.jsonl").stream().map(appPipeline::apply).toList();
        List<ObjectNode> nginxLines = Fixtures.jsonLines("nginx-access-lines.jsonl").stream().map(nginxPipeline::apply).toList();
        StringBuilder bulk = new StringBuilder();
        for (ObjectNode d : appLines) {
            bulk.append("{\"index\":{\"_index\":\"switchyard-app-logs-contract\"}}\n").append(d).append('\n');
        }
        for (ObjectNode d : nginxLines) {
            bulk.append("{\"index\":{\"_index\":\"switchyard-nginx-access-contract\"}}\n").append(d).append('\n');
        }
        try {
            JsonNode result = call("POST", "/_bulk?refresh=true", bulk.toString());
            assertFalse(result.path("errors").asBoolean(true), "bulk errors: " + firstBulkError(result));
            String traceId = appLines.stream().filter(d -> d.path("trace").has("id")).findFirst().orElseThrow()
                    .path("trace").path("id").asText();
            JsonNode hits = call("POST", "/switchyard-app-logs-contract/_search",
                    "{\"query\":{\"term\":{\"trace.id\":\"" + traceId + "\"}}}").path("hits");
            assertEquals(1, hits.path("total").path("value").asInt(), "trace.id is a searchable keyword");
            JsonNode colors = call("POST", "/switchyard-app-logs-contract/_search",
                    "{\"size\":0,\"aggs\":{\"c\":{\"terms\":{\"field\":\"app.color\"}}}}").path("aggregations");
            assertEquals(appLines.size(), colors.path("c").path("buckets").get(0).path("doc_count").asInt());
            JsonNode slow = call("POST", "/switchyard-nginx-access-contract/_search",
                    "{\"query\":{\"range\":{\"upstream_response_time\":{\"gte\":0.02}}}}").path("hits");
            assertEquals(1, slow.path("total").path("value").asInt(), "upstream_response_time is numeric (summed retry 0.03)");
        } finally {
            call("DELETE", "/switchyard-app-logs-contract,switchyard-nginx-access-contract", null);
        }
    }

    // ---- helpers

    private static String hourOf(JsonNode doc) {
        return Instant.parse(doc.path("@timestamp").asText()).truncatedTo(ChronoUnit.HOURS).toString().substring(0, 13);
    }

    private static String hourKey(JsonNode bucket) {
        return Instant.ofEpochMilli(bucket.path("key").asLong()).toString().substring(0, 13);
    }

    private JsonNode search(SavedObjects.Request request) throws Exception {
        JsonNode r = call("POST", "/" + request.index() + "/_search", request.body().toString());
        assertTrue(r.has("aggregations"), "search failed: " + r);
        return r.path("aggregations");
    }

    private long count(String index) throws Exception {
        return call("GET", "/" + index + "/_count", null).path("count").asLong();
    }

    private static void appendBulk(StringBuilder bulk, List<ObjectNode> docs, String prefix, DateTimeFormatter suffix) {
        for (ObjectNode d : docs) {
            String index = prefix + suffix.format(Instant.parse(d.path("@timestamp").asText()));
            bulk.append("{\"index\":{\"_index\":\"").append(index).append("\"}}\n").append(d).append('\n');
        }
    }

    private static String firstBulkError(JsonNode result) {
        for (JsonNode item : result.path("items")) {
            JsonNode error = item.path("index").path("error");
            if (!error.isMissingNode()) {
                return error.toString();
            }
        }
        return "none";
    }

    private static JsonNode call(String method, String path, String body) throws Exception {
        return EsNode.call(method, path, body);
    }
}
