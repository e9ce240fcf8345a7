package io.switchyard.elk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Kibana cannot run here: the saved objects are checked for structure (every JSON string parses,
 * every reference resolves) and every field they use exists in the index template with a type
 * that supports the use. The import script runs for real against a stub of Kibana's import API.
 */
class KibanaSavedObjectsTest {

    private static final Set<String> AGGREGATABLE = Set.of("keyword", "date", "integer", "long", "float", "double", "ip");
    private static final Pattern QUERY_FIELD = Pattern.compile("(?<![\\w.@])([A-Za-z@_][\\w.@]*)\\s*:");
    private static final Pattern TEMPLATE_FIELD = Pattern.compile("\\{\\{\\s*([\\w.@]+)\\s*}}");

    private final SavedObjects objects = new SavedObjects();

    @Test
    void objectsAreCompleteAndReferencesResolve() {
        Map<String, Long> byType = new java.util.TreeMap<>();
        for (JsonNode o : objects.byId.values()) {
            assertTrue(o.path("id").isTextual() && o.path("type").isTextual() && o.path("attributes").isObject(), o.toString());
            assertTrue(o.path("attributes").path("title").isTextual(), "title of " + o.path("id"));
            byType.merge(o.path("type").asText(), 1L, Long::sum);
            for (JsonNode ref : o.path("references")) {
                JsonNode target = objects.get(ref.path("id").asText());
                assertEquals(ref.path("type").asText(), target.path("type").asText(), "reference " + ref);
            }
            if (o.path("attributes").has("kibanaSavedObjectMeta")) {
                JsonNode source = SavedObjects.searchSource(o);
                if (source.has("indexRefName")) {
                    assertNotNull(objects.indexPatternOf(o));
                }
            }
            if (o.path("type").asText().equals("visualization")) {
                assertEquals(o.path("attributes").path("title").asText(), SavedObjects.visState(o).path("title").asText());
            }
        }
        assertEquals(Map.of("dashboard", 1L, "index-pattern", 4L, "search", 1L, "visualization", 6L), byType);
    }

    @Test
    void dashboardPanelsPointAtTheVisualizationsAndTheSearch() {
        JsonNode dashboard = objects.get("switchyard-overview");
        JsonNode panels = SavedObjects.embedded(dashboard, "panelsJSON");
        SavedObjects.embedded(dashboard, "optionsJSON");
        Set<String> refNames = new TreeSet<>();
        dashboard.path("references").forEach(r -> refNames.add(r.path("name").asText()));
        Set<String> panelRefs = new TreeSet<>();
        Set<String> panelIds = new TreeSet<>();
        for (JsonNode p : panels) {
            panelRefs.add(p.path("panelRefName").asText());
            panelIds.add(p.path("panelIndex").asText());
            JsonNode grid = p.path("gridData");
            assertTrue(grid.path("x").asInt() + grid.path("w").asInt() <= 48, "panel fits the 48-column grid: " + p);
        }
        assertEquals(refNames, panelRefs);
        assertEquals(panels.size(), panelIds.size(), "unique panel indexes");
        Set<String> targets = new TreeSet<>();
        dashboard.path("references").forEach(r -> targets.add(r.path("id").asText()));
        assertEquals(new TreeSet<>(List.of("switchyard-requests-5xx-by-color", "switchyard-5xx-by-color",
                "switchyard-p95-upstream-by-color", "switchyard-top-errors", "switchyard-deploy-events-search",
                "switchyard-disk-used-by-mount", "switchyard-docker-usage")), targets);
    }

    @Test
    void indexPatternsMatchTheTemplatesAndTheirTimeField() {
        for (JsonNode o : objects.byId.values()) {
            if (o.path("type").asText().equals("index-pattern")) {
                String title = o.path("attributes").path("title").asText();
                JsonNode mappings = IndexTemplates.mappings(IndexTemplates.forIndexPattern(title));
                assertEquals("date", IndexTemplates.type(mappings, o.path("attributes").path("timeFieldName").asText()), title);
            }
        }
    }

    @Test
    void everyFieldTheDashboardUsesExistsInTheTemplateWithAUsableType() {
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (JsonNode o : objects.byId.values()) {
            String id = o.path("id").asText();
            switch (o.path("type").asText()) {
                case "visualization" -> {
                    JsonNode state = SavedObjects.visState(o);
                    if (state.path("type").asText().equals("metrics")) {
                        checked += checkTsvb(id, state.path("params"), problems);
                    } else {
                        JsonNode mappings = mappingsOf(objects.indexPatternOf(o));
                        for (JsonNode agg : state.path("aggs")) {
                            String field = agg.path("params").path("field").asText(null);
                            if (field != null) {
                                checked++;
                                use(problems, id, mappings, field, true);
                            }
                        }
                        checked += checkQuery(id, mappings, SavedObjects.searchSource(o).path("query").path("query").asText(), problems);
                    }
                }
                case "search" -> {
                    JsonNode mappings = mappingsOf(objects.indexPatternOf(o));
                    for (JsonNode column : o.path("attributes").path("columns")) {
                        checked++;
                        use(problems, id, mappings, column.asText(), false);
                    }
                    for (JsonNode sort : o.path("attributes").path("sort")) {
                        checked++;
                        use(problems, id, mappings, sort.get(0).asText(), true);
                    }
                    checked += checkQuery(id, mappings, SavedObjects.searchSource(o).path("query").path("query").asText(), problems);
                }
                default -> {
                }
            }
        }
        assertEquals(List.of(), problems);
        assertTrue(checked >= 30, "expected to check at least 30 field uses, checked " + checked);
    }

    private int checkTsvb(String id, JsonNode params, List<String> problems) {
        int checked = 0;
        JsonNode mappings = IndexTemplates.mappings(IndexTemplates.forIndexPattern(params.path("index_pattern").asText()));
        use(problems, id, mappings, params.path("time_field").asText(), true);
        checked++;
        for (JsonNode s : params.path("series")) {
            if (s.path("split_mode").asText().equals("terms")) {
                use(problems, id, mappings, s.path("terms_field").asText(), true);
                checked++;
            }
            for (JsonNode m : s.path("metrics")) {
                if (m.has("field")) {
                    use(problems, id, mappings, m.path("field").asText(), true);
                    checked++;
                }
            }
            checked += checkQuery(id, mappings, s.path("filter").path("query").asText(""), problems);
        }
        for (JsonNode a : params.path("annotations")) {
            JsonNode annMappings = IndexTemplates.mappings(IndexTemplates.forIndexPattern(a.path("index_pattern").asText()));
            use(problems, id, annMappings, a.path("time_field").asText(), true);
            checked++;
            for (String f : a.path("fields").asText().split(",")) {
                use(problems, id, annMappings, f.trim(), false);
                checked++;
            }
            Matcher m = TEMPLATE_FIELD.matcher(a.path("template").asText());
            while (m.find()) {
                use(problems, id, annMappings, m.group(1), false);
                checked++;
            }
            checked += checkQuery(id, annMappings, a.path("query_string").path("query").asText(), problems);
        }
        return checked;
    }

    private static int checkQuery(String id, JsonNode mappings, String query, List<String> problems) {
        int checked = 0;
        Matcher m = QUERY_FIELD.matcher(query);
        while (m.find()) {
            String field = m.group(1);
            if (field.equals("_exists_")) {
                Matcher next = Pattern.compile("_exists_\\s*:\\s*([\\w.@]+)").matcher(query.substring(m.start()));
                if (next.lookingAt()) {
                    field = next.group(1);
                }
            }
            use(problems, id, mappings, field, false);
            checked++;
        }
        return checked;
    }

    private static void use(List<String> problems, String id, JsonNode mappings, String field, boolean aggregatable) {
        String type = IndexTemplates.type(mappings, field);
        if (type == null) {
            problems.add(id + ": field " + field + " is not in the index template");
        } else if (aggregatable && !AGGREGATABLE.contains(type)) {
            problems.add(id + ": field " + field + " is " + type + ", not aggregatable");
        }
    }

    private static JsonNode mappingsOf(JsonNode indexPattern) {
        return IndexTemplates.mappings(IndexTemplates.forIndexPattern(indexPattern.path("attributes").path("title").asText()));
    }

    @Test
    void theFieldCheckCatchesAMissingField() {
        List<String> problems = new ArrayList<>();
        JsonNode mappings = IndexTemplates.mappings(IndexTemplates.NGINX_ACCESS);
        checkQuery("probe", mappings, "statuz:[500 TO 599] AND _exists_:upstream_time", problems);
        use(problems, "probe", IndexTemplates.mappings(IndexTemplates.APP_LOGS), "message", true);
        assertEquals(3, problems.size(), problems.toString());
    }

    @Test
    void importScriptPostsTheNdjsonToKibanaAndFailsOnAnUnsuccessfulImport() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        List<byte[]> bodies = new CopyOnWriteArrayList<>();
        AtomicBoolean succeed = new AtomicBoolean(true);
        HttpServer kibana = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        kibana.createContext("/", exchange -> {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " xsrf="
                    + exchange.getRequestHeaders().getFirst("kbn-xsrf") + " auth=" + auth);
            byte[] body = exchange.getRequestBody().readAllBytes();
            String response = "{}";
            if (exchange.getRequestURI().getPath().equals("/api/saved_objects/_import")) {
                bodies.add(body);
                response = succeed.get() ? "{\"success\":true,\"successCount\":9}"
                        : "{\"success\":false,\"successCount\":0,\"errors\":[{\"id\":\"x\",\"error\":{\"type\":\"conflict\"}}]}";
            } else if (exchange.getRequestURI().getPath().equals("/api/status")) {
                response = "{\"status\":{\"overall\":{\"level\":\"available\"}}}";
            }
            byte[] bytes = response.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        kibana.start();
        try {
            Map<String, String> env = Map.of("KIBANA_URL", "http://127.0.0.1:" + kibana.getAddress().getPort(),
                    "ELASTIC_PASSWORD", "s3cret", "KIBANA_WAIT_S", "10");
            Repo.Result ok = Repo.bash("elk/kibana/import-saved-objects.sh", env, Duration.ofSeconds(60));
            assertEquals(0, ok.exitCode(), ok.stderr());
            String expectedAuth = "Basic " + Base64.getEncoder().encodeToString("elastic:s3cret".getBytes(StandardCharsets.UTF_8));
            assertTrue(seen.stream().anyMatch(s -> s.startsWith("POST /api/saved_objects/_import?overwrite=true xsrf=")
                    && s.endsWith("auth=" + expectedAuth) && !s.contains("xsrf=null")), seen.toString());
            String upload = new String(bodies.get(0), StandardCharsets.UTF_8);
            assertTrue(upload.contains("filename=\"switchyard-dashboard.ndjson\""), "multipart file part");
            for (String id : objects.byId.keySet()) {
                assertTrue(upload.contains("\"id\":\"" + id + "\""), "upload contains " + id);
            }

            succeed.set(false);
            Repo.Result failed = Repo.bash("elk/kibana/import-saved-objects.sh", env, Duration.ofSeconds(60));
            assertNotEquals(0, failed.exitCode());
            assertTrue(failed.stderr().contains("conflict"), failed.stderr());
        } finally {
            kibana.stop(0);
        }
    }
}
