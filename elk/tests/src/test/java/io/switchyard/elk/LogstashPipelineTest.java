package io.switchyard.elk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * Logstash cannot run here: its pipeline files are parsed with the config grammar, every plugin
 * and option is checked against the plugins bundled with Logstash, and cross-references (ports,
 * index names, env variables, users) are checked against compose, templates and setup.
 */
class LogstashPipelineTest {

    private static final Path LOGSTASH = Repo.elk().resolve("logstash");

    /** Options we use or may use, per bundled plugin (from each plugin's reference documentation). */
    private static final Map<String, Set<String>> KNOWN = Map.of(
            "input/tcp", Set.of("id", "port", "host", "mode", "codec", "tags", "type", "add_field", "ecs_compatibility"),
            "input/file", Set.of("id", "path", "exclude", "start_position", "sincedb_path", "codec", "mode",
                    "stat_interval", "discover_interval", "close_older", "tags", "type", "add_field", "ecs_compatibility"),
            "filter/de_dot", Set.of("id", "nested", "fields", "separator", "add_tag", "add_field"),
            "filter/mutate", Set.of("id", "add_field", "add_tag", "remove_field", "remove_tag", "rename", "convert",
                    "replace", "update", "lowercase", "uppercase", "strip", "split", "join", "gsub", "copy"),
            "filter/date", Set.of("id", "match", "target", "timezone", "locale", "remove_field", "tag_on_failure"),
            "filter/ruby", Set.of("id", "code", "init", "path", "script_params", "tag_on_exception"),
            "filter/drop", Set.of("id", "percentage"),
            "output/elasticsearch", Set.of("id", "hosts", "user", "password", "api_key", "index", "action",
                    "manage_template", "ilm_enabled", "data_stream", "ssl_enabled", "ssl_certificate_authorities",
                    "document_id", "pipeline", "retry_max_interval"));

    private static final Set<String> CODECS = Set.of("json", "json_lines", "plain", "line");

    static List<Path> pipelineFiles() throws IOException {
        try (Stream<Path> files = Files.list(LOGSTASH.resolve("pipeline"))) {
            return files.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
        }
    }

    @Test
    void everyPipelineParsesAndUsesOnlyKnownPluginsAndOptions() throws IOException {
        List<Path> files = pipelineFiles();
        assertEquals(4, files.size(), "app logs, nginx access, deploy events, host metrics: " + files);
        for (Path file : files) {
            LogstashConfig config = LogstashConfig.parse(Repo.read(file));
            Set<String> sections = new TreeSet<>();
            for (LogstashConfig.Plugin p : config.plugins()) {
                sections.add(p.section());
                Set<String> known = KNOWN.get(p.section() + "/" + p.name());
                assertTrue(known != null, file.getFileName() + ":" + p.line() + " unknown plugin " + p.section() + "/" + p.name());
                for (Map.Entry<String, Object> attr : p.attributes().entrySet()) {
                    assertTrue(known.contains(attr.getKey()),
                            file.getFileName() + ":" + p.line() + " " + p.name() + " has no option " + attr.getKey());
                    if (attr.getKey().equals("codec")) {
                        String codec = attr.getValue() instanceof LogstashConfig.PluginValue pv ? pv.name() : String.valueOf(attr.getValue());
                        assertTrue(CODECS.contains(codec), "unknown codec " + codec);
                    }
                }
                assertTrue(p.attributes().containsKey("id"), file.getFileName() + ":" + p.line() + " plugin without id");
            }
            assertEquals(Set.of("input", "filter", "output"), sections, file.getFileName().toString());
        }
    }

    @Test
    void pipelinesYmlDeclaresEveryPipelineFileOnce() throws IOException {
        List<Map<String, Object>> declared = new Yaml().load(Repo.read(LOGSTASH.resolve("config/pipelines.yml")));
        Set<String> paths = new TreeSet<>();
        Set<String> ids = new TreeSet<>();
        for (Map<String, Object> p : declared) {
            ids.add(String.valueOf(p.get("pipeline.id")));
            paths.add(String.valueOf(p.get("path.config")).replace("/usr/share/logstash/pipeline/", ""));
        }
        Set<String> files = new TreeSet<>();
        pipelineFiles().forEach(f -> files.add(f.getFileName().toString()));
        assertEquals(files, paths);
        assertEquals(declared.size(), ids.size(), "duplicate pipeline ids");
        Map<String, Object> settings = new Yaml().load(Repo.read(LOGSTASH.resolve("config/logstash.yml")));
        assertEquals("persisted", settings.get("queue.type"));
    }

    @Test
    void outputsWriteToIndicesThatHaveATemplateAsTheSetupUser() throws IOException {
        Map<String, JsonNode> templates = IndexTemplates.all();
        String setup = Repo.read(Repo.elk().resolve("setup/setup.sh"));
        for (Path file : pipelineFiles()) {
            for (LogstashConfig.Plugin p : LogstashConfig.parse(Repo.read(file)).plugins()) {
                if (!p.section().equals("output")) {
                    continue;
                }
                String index = String.valueOf(p.attributes().get("index"));
                String prefix = index.substring(0, index.indexOf("%{"));
                long matching = templates.values().stream().filter(t -> t.path("index_patterns").get(0).asText()
                        .equals(prefix + "*")).count();
                assertEquals(1, matching, file.getFileName() + ": no template for index " + index);
                assertEquals("false", String.valueOf(p.attributes().get("manage_template")), "templates come from setup");
                assertEquals("logstash_internal", String.valueOf(p.attributes().get("user")));
                assertEquals("${LOGSTASH_INTERNAL_PASSWORD}", String.valueOf(p.attributes().get("password")));
                assertTrue(index.startsWith("switchyard-"), "the logstash writer role covers switchyard-* only");
            }
        }
        assertTrue(setup.contains("/_security/user/logstash_internal") && setup.contains("\"names\": [\"switchyard-*\"]"),
                "setup.sh creates logstash_internal with rights on switchyard-*");
    }

    @Test
    @SuppressWarnings("unchecked")
    void tcpPortsAndEnvironmentMatchTheComposeService() throws IOException {
        Map<String, Object> compose = new Yaml().load(Repo.read(Repo.elk().resolve("docker-compose.yml")));
        Map<String, Object> logstash = (Map<String, Object>) ((Map<String, Object>) compose.get("services")).get("logstash");
        Map<String, Object> env = (Map<String, Object>) logstash.get("environment");
        List<String> ports = (List<String>) logstash.get("ports");
        Set<String> published = new TreeSet<>();
        for (String port : ports) {
            published.add(port.substring(port.lastIndexOf(':') + 1));
        }
        Set<String> inputPorts = new TreeSet<>();
        Pattern var = Pattern.compile("\\$\\{([A-Z_]+)(:[^}]*)?}");
        for (Path file : pipelineFiles()) {
            String text = Repo.read(file);
            for (LogstashConfig.Plugin p : LogstashConfig.parse(text).plugins()) {
                if (p.name().equals("tcp")) {
                    inputPorts.add(String.valueOf(p.attributes().get("port")));
                }
            }
            Matcher m = var.matcher(text);
            while (m.find()) {
                assertTrue(m.group(2) != null || env.containsKey(m.group(1)),
                        file.getFileName() + " uses ${" + m.group(1) + "} without default and compose does not set it");
            }
        }
        assertEquals(Set.of("5000", "5001", "5002", "5003"), inputPorts);
        assertEquals(inputPorts, published);
    }

    @Test
    void theNginxRubyFilterNormalisesNumbersAndEmptyValues() throws IOException {
        PipelineEmulator pipeline = new PipelineEmulator(LOGSTASH.resolve("pipeline/nginx-access.conf"));
        List<JsonNode> raw = Fixtures.jsonLines("nginx-access-lines.jsonl");
        List<ObjectNode> out = new ArrayList<>();
        raw.forEach(r -> out.add(pipeline.apply(r)));

        assertEquals(401, out.get(0).get("status").intValue());
        assertEquals(0.004, out.get(0).get("upstream_response_time").doubleValue(), 1e-9);
        assertEquals("2026-11-21T21:40:00Z", out.get(0).get("@timestamp").asText());
        // 429 from nginx itself: no upstream, so no upstream fields and no color at all.
        assertNull(out.get(1).get("upstream_response_time"));
        assertNull(out.get(1).get("app_color"));
        assertNull(out.get(1).get("upstream_color"));
        assertNull(out.get(1).get("upstream_addr"));
        assertEquals(0.0, out.get(1).get("request_time").doubleValue(), 1e-9);
        // A retried request: upstream times summed, statuses kept as nginx wrote them.
        assertEquals(0.03, out.get(2).get("upstream_response_time").doubleValue(), 1e-9);
        assertEquals("502, 200", out.get(2).get("upstream_status").asText());
        // "-" means "none".
        assertNull(out.get(3).get("upstream_response_time"));
        assertNull(out.get(3).get("app_color"));
        assertFalse(out.get(3).has("user_agent"));
        assertEquals(504, out.get(3).get("status").intValue());
        // nginx's own 504: no app answered (no app_color), but the routed color is kept.
        assertEquals("green", out.get(3).get("upstream_color").asText());
        assertEquals("green", out.get(0).get("upstream_color").asText());
        assertEquals("blue", out.get(2).get("upstream_color").asText());
        // Quoted numbers (a log_format that quotes every value) work too.
        ObjectNode numeric = pipeline.apply(Repo.parse(
                "{\"time\":\"2026-11-21T21:40:00+00:00\",\"status\":\"200\",\"request_time\":\"0.5\",\"upstream_response_time\":\"0.25\"}"));
        assertEquals(200, numeric.get("status").intValue());
        assertEquals(0.25, numeric.get("upstream_response_time").doubleValue(), 1e-9);
    }

    @Test
    void theParserRejectsBrokenConfigs() {
        List<String> broken = List.of(
                "input { tcp { port => 5000 }",                                 // missing brace
                "input { tcp { port => 5000 } } fitler { }",                    // unknown section
                "filter { mutate { add_field => { \"a\" => \"b\", \"c\" => \"d\" } } }", // commas in a hash
                "output { stdout { codec => \"json } }",                        // unterminated string
                "filter { if [a] == { drop { } } }",                            // condition without value
                "filter { mutate { id => \"x\" id => \"y\" } }",                // repeated option
                "filter { if [a] { drop { } } else { drop { } } else { } }");   // two else branches
        for (String config : broken) {
            assertThrows(LogstashConfig.ParseException.class, () -> LogstashConfig.parse(config), config);
        }
        LogstashConfig ok = LogstashConfig.parse(
                "filter { if [a][b] =~ /x\\/y/ and !([c] in [\"d\", \"e\"]) { drop { id => \"d\" } } "
                        + "else if \"t\" not in [tags] { mutate { id => \"m\" add_tag => [\"t\"] } } else { } }");
        assertEquals(2, ok.plugins().size());
        assertTrue(ok.plugins().get(0).conditional());
    }
}
