package io.switchyard.elk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Kibana saved objects (NDJSON) and the Elasticsearch requests their visualizations make,
 * built the way Kibana builds them: the saved lucene query as query_string, the time range on the
 * index pattern's time field, bucket aggregations nested in the saved order with the metrics inside.
 */
final class SavedObjects {

    /** A search request: which index pattern (title) and the body. */
    record Request(String index, ObjectNode body) {
    }

    final Map<String, JsonNode> byId = new LinkedHashMap<>();

    SavedObjects() {
        try (Stream<Path> files = Files.list(dir())) {
            for (Path f : files.filter(p -> p.toString().endsWith(".ndjson")).sorted().toList()) {
                for (String line : Files.readAllLines(f)) {
                    if (!line.isBlank()) {
                        JsonNode o = Repo.parse(line);
                        if (byId.put(o.path("id").asText(), o) != null) {
                            throw new AssertionError("duplicate saved object id " + o.path("id"));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path dir() {
        return Repo.elk().resolve("kibana/saved-objects");
    }

    JsonNode get(String id) {
        JsonNode o = byId.get(id);
        if (o == null) {
            throw new AssertionError("no saved object " + id);
        }
        return o;
    }

    static JsonNode embedded(JsonNode object, String attribute) {
        JsonNode node = object.path("attributes");
        for (String part : attribute.split("\\.")) {
            node = node.path(part);
        }
        return Repo.parse(node.asText());
    }

    static JsonNode visState(JsonNode vis) {
        return embedded(vis, "visState");
    }

    static JsonNode searchSource(JsonNode object) {
        return embedded(object, "kibanaSavedObjectMeta.searchSourceJSON");
    }

    /** The index pattern saved object a visualization or search refers to. */
    JsonNode indexPatternOf(JsonNode object) {
        String refName = searchSource(object).path("indexRefName").asText();
        for (JsonNode ref : object.path("references")) {
            if (ref.path("name").asText().equals(refName)) {
                return get(ref.path("id").asText());
            }
        }
        throw new AssertionError(object.path("id") + " has no index pattern reference");
    }

    static ObjectNode timeRangeQuery(String timeField, Instant from, Instant to, List<String> luceneQueries) {
        ObjectNode bool = Repo.JSON.createObjectNode();
        ArrayNode filter = bool.putArray("filter");
        ObjectNode range = filter.addObject().putObject("range").putObject(timeField);
        range.put("gte", from.toString());
        range.put("lte", to.toString());
        range.put("format", "strict_date_optional_time");
        for (String q : luceneQueries) {
            if (!q.isBlank()) {
                ObjectNode qs = filter.addObject().putObject("query_string");
                qs.put("query", q);
                qs.put("analyze_wildcard", true);
            }
        }
        ObjectNode query = Repo.JSON.createObjectNode();
        query.set("bool", bool);
        return query;
    }

    /** The request of an aggregation-based visualization (histogram, line, table). */
    Request aggBased(String visId, Instant from, Instant to) {
        JsonNode vis = get(visId);
        JsonNode state = visState(vis);
        JsonNode pattern = indexPatternOf(vis);
        JsonNode query = searchSource(vis).path("query");
        if (!query.path("language").asText().equals("lucene")) {
            throw new AssertionError("only lucene queries are translated: " + query);
        }
        ObjectNode body = Repo.JSON.createObjectNode();
        body.put("size", 0);
        body.put("track_total_hits", true);
        body.set("query", timeRangeQuery(pattern.path("attributes").path("timeFieldName").asText(), from, to,
                List.of(query.path("query").asText())));
        List<JsonNode> buckets = new ArrayList<>();
        List<JsonNode> metrics = new ArrayList<>();
        for (JsonNode agg : state.path("aggs")) {
            if (!agg.path("enabled").asBoolean(true)) {
                continue;
            }
            if (agg.path("schema").asText().equals("metric")) {
                metrics.add(agg);
            } else {
                buckets.add(agg);
            }
        }
        ObjectNode level = body;
        for (JsonNode b : buckets) {
            ObjectNode aggs = level.with("aggs");
            ObjectNode def = aggs.putObject(b.path("id").asText());
            JsonNode p = b.path("params");
            switch (b.path("type").asText()) {
                case "date_histogram" -> {
                    ObjectNode dh = def.putObject("date_histogram");
                    dh.put("field", p.path("field").asText());
                    dh.put("fixed_interval", esInterval(p.path("interval").asText()));
                    dh.put("time_zone", "UTC");
                    dh.put("min_doc_count", p.path("min_doc_count").asInt(1));
                }
                case "terms" -> {
                    ObjectNode t = def.putObject("terms");
                    t.put("field", p.path("field").asText());
                    t.put("size", p.path("size").asInt());
                    String orderBy = p.path("orderBy").asText();
                    String key = orderBy.equals("_key") ? "_key" : isCount(metrics, orderBy) ? "_count" : orderBy;
                    t.putObject("order").put(key, p.path("order").asText("desc"));
                }
                default -> throw new AssertionError("no translation for bucket agg " + b.path("type"));
            }
            level = def;
        }
        for (JsonNode m : metrics) {
            JsonNode p = m.path("params");
            switch (m.path("type").asText()) {
                case "count" -> {
                    // doc_count of the innermost bucket
                }
                case "max" -> level.with("aggs").putObject(m.path("id").asText()).putObject("max")
                        .put("field", p.path("field").asText());
                case "percentiles" -> {
                    ObjectNode pc = level.with("aggs").putObject(m.path("id").asText()).putObject("percentiles");
                    pc.put("field", p.path("field").asText());
                    pc.set("percents", p.path("percents"));
                }
                default -> throw new AssertionError("no translation for metric agg " + m.path("type"));
            }
        }
        return new Request(pattern.path("attributes").path("title").asText(), body);
    }

    private static boolean isCount(List<JsonNode> metrics, String id) {
        return metrics.stream().anyMatch(m -> m.path("id").asText().equals(id) && m.path("type").asText().equals("count"));
    }

    static String esInterval(String kibana) {
        return switch (kibana) {
            case "s" -> "1s";
            case "m" -> "1m";
            case "h" -> "1h";
            case "d" -> "1d";
            default -> {
                if (kibana.matches("\\d+[smhd]")) {
                    yield kibana;
                }
                throw new AssertionError("interval " + kibana + " is not a fixed interval the test can reproduce");
            }
        };
    }

    /** The request TSVB makes for one series of a timeseries visualization. */
    Request tsvbSeries(String visId, String seriesId, Instant from, Instant to) {
        JsonNode params = visState(get(visId)).path("params");
        for (JsonNode s : params.path("series")) {
            if (!s.path("id").asText().equals(seriesId)) {
                continue;
            }
            ObjectNode body = Repo.JSON.createObjectNode();
            body.put("size", 0);
            body.set("query", timeRangeQuery(params.path("time_field").asText(), from, to,
                    List.of(s.path("filter").path("query").asText(""))));
            ObjectNode level = body;
            if (s.path("split_mode").asText().equals("terms")) {
                ObjectNode t = level.with("aggs").putObject("split").putObject("terms");
                t.put("field", s.path("terms_field").asText());
                t.put("size", Integer.parseInt(s.path("terms_size").asText("10")));
                level = (ObjectNode) level.path("aggs").path("split");
            }
            ObjectNode dh = level.with("aggs").putObject("timeseries").putObject("date_histogram");
            dh.put("field", params.path("time_field").asText());
            dh.put("fixed_interval", params.path("interval").asText());
            dh.put("time_zone", "UTC");
            dh.put("min_doc_count", 0);
            for (JsonNode m : s.path("metrics")) {
                if (!m.path("type").asText().equals("count")) {
                    throw new AssertionError("no translation for TSVB metric " + m.path("type"));
                }
            }
            return new Request(params.path("index_pattern").asText(), body);
        }
        throw new AssertionError("no series " + seriesId + " in " + visId);
    }

    /** The request TSVB makes for an annotation (deploy markers). */
    Request tsvbAnnotation(String visId, String annotationId, Instant from, Instant to) {
        JsonNode params = visState(get(visId)).path("params");
        for (JsonNode a : params.path("annotations")) {
            if (!a.path("id").asText().equals(annotationId)) {
                continue;
            }
            ObjectNode body = Repo.JSON.createObjectNode();
            body.put("size", 100);
            body.set("query", timeRangeQuery(a.path("time_field").asText(), from, to,
                    List.of(a.path("query_string").path("query").asText())));
            body.putArray("sort").addObject().put(a.path("time_field").asText(), "asc");
            return new Request(a.path("index_pattern").asText(), body);
        }
        throw new AssertionError("no annotation " + annotationId + " in " + visId);
    }

    /** The request Discover makes for a saved search. */
    Request savedSearch(String searchId, Instant from, Instant to) {
        JsonNode search = get(searchId);
        JsonNode pattern = indexPatternOf(search);
        ObjectNode body = Repo.JSON.createObjectNode();
        body.put("size", 500);
        body.put("track_total_hits", true);
        String timeField = pattern.path("attributes").path("timeFieldName").asText();
        body.set("query", timeRangeQuery(timeField, from, to, List.of(searchSource(search).path("query").path("query").asText())));
        body.putArray("sort").addObject().put(timeField, "desc");
        return new Request(pattern.path("attributes").path("title").asText(), body);
    }
}
