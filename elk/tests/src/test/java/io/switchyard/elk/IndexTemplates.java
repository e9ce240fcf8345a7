package io.switchyard.elk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The composable index templates in elk/elasticsearch/index-templates and lookups into their mappings. */
final class IndexTemplates {

    static final String APP_LOGS = "switchyard-app-logs";
    static final String NGINX_ACCESS = "switchyard-nginx-access";
    static final String DEPLOY_EVENTS = "switchyard-deploy-events";
    static final String HOST_METRICS = "switchyard-host-metrics";

    private IndexTemplates() {
    }

    static Path dir() {
        return Repo.elk().resolve("elasticsearch/index-templates");
    }

    static Map<String, JsonNode> all() {
        Map<String, JsonNode> templates = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(dir())) {
            files.filter(p -> p.toString().endsWith(".json")).sorted().forEach(p -> templates.put(
                    p.getFileName().toString().replaceFirst("\\.json$", ""), Repo.readJson(p)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return templates;
    }

    static JsonNode template(String name) {
        return Repo.readJson(dir().resolve(name + ".json"));
    }

    static JsonNode mappings(String name) {
        return template(name).path("template").path("mappings");
    }

    /** The template whose index_patterns match an index pattern title like "switchyard-app-logs-*". */
    static String forIndexPattern(String title) {
        for (Map.Entry<String, JsonNode> e : all().entrySet()) {
            for (JsonNode p : e.getValue().path("index_patterns")) {
                if (p.asText().equals(title)) {
                    return e.getKey();
                }
            }
        }
        throw new AssertionError("no index template has index_patterns [" + title + "]");
    }

    /**
     * The mapping node of a dotted field path ("app.color", "message.keyword" for a multi-field),
     * or null when the path is not mapped.
     */
    static JsonNode field(JsonNode mappings, String path) {
        JsonNode node = mappings;
        String[] parts = path.split("\\.");
        for (int i = 0; i < parts.length; i++) {
            JsonNode next = node.path("properties").get(parts[i]);
            if (next == null && i > 0) {
                next = node.path("fields").get(parts[i]);
            }
            if (next == null) {
                return null;
            }
            node = next;
        }
        return node;
    }

    static String type(JsonNode mappings, String path) {
        JsonNode f = field(mappings, path);
        if (f == null) {
            return null;
        }
        return f.has("type") ? f.get("type").asText() : (f.has("properties") ? "object" : null);
    }

    /** Every leaf field of a mapping as dotted path -> type (multi-fields included). */
    static Map<String, String> leafFields(JsonNode mappings) {
        Map<String, String> out = new LinkedHashMap<>();
        collect(mappings.path("properties"), "", out);
        return out;
    }

    private static void collect(JsonNode properties, String prefix, Map<String, String> out) {
        Iterator<Map.Entry<String, JsonNode>> it = properties.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String path = prefix + e.getKey();
            JsonNode def = e.getValue();
            if (def.has("properties")) {
                collect(def.get("properties"), path + ".", out);
            } else {
                out.put(path, def.path("type").asText("object"));
                def.path("fields").fields().forEachRemaining(
                        f -> out.put(path + "." + f.getKey(), f.getValue().path("type").asText()));
            }
        }
    }

    /**
     * PUTs every template on the test node (EsNode) as setup.sh does, minus the ILM setting: the node has no
     * ILM module (not on Maven Central), so index.lifecycle.name would be an unknown setting there.
     */
    static void putAll() throws Exception {
        for (Map.Entry<String, JsonNode> t : all().entrySet()) {
            JsonNode r = EsNode.call("PUT", "/_index_template/" + t.getKey(), withoutIlm(t.getValue()).toString());
            if (!r.path("acknowledged").asBoolean()) {
                throw new AssertionError("template " + t.getKey() + ": " + r);
            }
        }
    }

    /**
     * The template body to PUT on an Elasticsearch without ILM (the OSS test node): the same
     * template minus the index.lifecycle.* settings. Nothing else is changed.
     */
    static ObjectNode withoutIlm(JsonNode template) {
        ObjectNode copy = template.deepCopy();
        JsonNode settings = copy.path("template").path("settings");
        if (settings instanceof ObjectNode s) {
            List<String> drop = new ArrayList<>();
            s.fieldNames().forEachRemaining(n -> {
                if (n.startsWith("index.lifecycle.")) {
                    drop.add(n);
                }
            });
            s.remove(drop);
        }
        return copy;
    }
}
