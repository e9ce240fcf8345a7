package io.switchyard.elk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Contract: what the app, nginx and emit_deploy_event write matches the index template mappings. */
class IndexTemplateContractTest {

    /** JSON log fields promised by the contract, with the mapping type each must have. */
    private static final Map<String, String> APP_LOG_CONTRACT = Map.of(
            "@timestamp", "date", "message", "text", "logger_name", "keyword", "level", "keyword",
            "thread_name", "keyword", "app.color", "keyword", "app.version", "keyword", "app.env", "keyword",
            "trace.id", "keyword", "stack_trace", "text");

    /** Keys of log_format switchyard_json in the contract. */
    static final Set<String> NGINX_CONTRACT_KEYS = new TreeSet<>(List.of(
            "time", "remote_addr", "method", "uri", "status", "body_bytes_sent", "request_time", "upstream_addr",
            "upstream_status", "upstream_response_time", "app_color", "env", "user_agent", "request_id"));

    private static final Path PIPELINES = Repo.elk().resolve("logstash/pipeline");

    @Test
    void everyContractLogFieldIsMappedWithItsType() {
        JsonNode mappings = IndexTemplates.mappings(IndexTemplates.APP_LOGS);
        APP_LOG_CONTRACT.forEach((field, type) ->
                assertEquals(type, IndexTemplates.type(mappings, field), "mapping type of " + field));
    }

    @Test
    void appLogLinesMatchTheMappingAsWrittenAndAfterThePipeline() {
        JsonNode mappings = IndexTemplates.mappings(IndexTemplates.APP_LOGS);
        PipelineEmulator pipeline = new PipelineEmulator(PIPELINES.resolve("app-logs.conf"));
        List<JsonNode> lines = Fixtures.jsonLines("app-log-lines.jsonl");
        List<JsonNode> all = new ArrayList<>(lines);
        all.addAll(new SampleDay().appLogs);
        for (JsonNode line : all) {
            assertStrict(mappings, line);
            ObjectNode indexed = pipeline.apply(line);
            assertStrict(mappings, indexed);
            assertEquals("switchyard.app", indexed.path("event").path("dataset").asText());
            // de_dot turned the encoder's dotted keys into objects: [app][color] is what filters see.
            assertTrue(indexed.path("app").path("color").isTextual(), "app.color as an object field: " + indexed);
            assertFalse(indexed.has("app.color"), "dotted key left after de_dot: " + indexed);
        }
    }

    @Test
    void deployEventFromEmitDeployEventMatchesTheMapping() {
        JsonNode mappings = IndexTemplates.mappings(IndexTemplates.DEPLOY_EVENTS);
        List<JsonNode> events = DeployEvents.emit(List.of(new DeployEvents.Call("prod-20261121214000-4242", "step",
                List.of("env=prod", "image=switchyard:1.0.0-abc1234", "from_color=blue", "to_color=green",
                        "step=health_check", "duration_ms=1234", "result=ok", "user=jenkins", "message=ready in 1.2s"))));
        assertEquals(1, events.size());
        JsonNode event = events.get(0);
        Set<String> expected = new TreeSet<>(List.of("@timestamp", "event.kind", "event.action", "deploy.id", "deploy.env",
                "deploy.image", "deploy.from_color", "deploy.to_color", "deploy.step", "deploy.duration_ms", "deploy.result",
                "deploy.user", "deploy.message"));
        assertEquals(expected, new TreeSet<>(ContractCheck.flatten(event).keySet()), "fields of " + event);
        assertStrict(mappings, event);
        ObjectNode indexed = new PipelineEmulator(PIPELINES.resolve("deploy-events.conf")).apply(event);
        assertStrict(mappings, indexed);
        assertEquals("switchyard.deploy", indexed.path("event").path("dataset").asText());
    }

    @Test
    void nginxAccessLinesMatchTheMappingAfterThePipeline() {
        JsonNode mappings = IndexTemplates.mappings(IndexTemplates.NGINX_ACCESS);
        PipelineEmulator pipeline = new PipelineEmulator(PIPELINES.resolve("nginx-access.conf"));
        List<JsonNode> lines = new ArrayList<>(Fixtures.jsonLines("nginx-access-lines.jsonl"));
        lines.addAll(new SampleDay().nginxRaw);
        for (JsonNode raw : lines) {
            assertEquals(NGINX_CONTRACT_KEYS, new TreeSet<>(ContractCheck.flatten(raw).keySet()), "keys of " + raw);
            ObjectNode indexed = pipeline.apply(raw);
            assertStrict(mappings, indexed);
            assertTrue(indexed.has("@timestamp") && !indexed.has("time"), "time became @timestamp: " + indexed);
            assertTrue(indexed.get("status").isInt(), "status is a number: " + indexed);
        }
    }

    @Test
    void nginxTemplateCoversExactlyTheLogFormatKeys() throws IOException {
        Set<String> keys = new TreeSet<>(NGINX_CONTRACT_KEYS);
        Set<String> fromRepo = logFormatKeysInRepo();
        if (!fromRepo.isEmpty()) {
            // The deploy helper's nginx config is in the repo: it, not the contract text, is the truth.
            assertEquals(keys, fromRepo, "log_format switchyard_json keys in nginx/ vs the contract");
        }
        keys.remove("time");
        keys.add("@timestamp");
        keys.add("event.dataset");
        Set<String> mapped = new TreeSet<>(IndexTemplates.leafFields(IndexTemplates.mappings(IndexTemplates.NGINX_ACCESS)).keySet());
        assertEquals(keys, mapped);
    }

    @Test
    void checkerRejectsWrongTypesAndUnmappedFields() {
        JsonNode mappings = IndexTemplates.mappings(IndexTemplates.NGINX_ACCESS);
        JsonNode bad = Repo.parse("{\"@timestamp\":\"yesterday\",\"status\":\"200\",\"remote_addr\":\"not-an-ip\","
                + "\"upstream_response_time\":\"0.1\",\"colour\":\"blue\"}");
        assertEquals(4, ContractCheck.typeViolations(mappings, bad).size(), ContractCheck.typeViolations(mappings, bad).toString());
        assertEquals(List.of("colour"), ContractCheck.unmapped(mappings, bad));
    }

    static void assertStrict(JsonNode mappings, JsonNode doc) {
        assertEquals(List.of(), ContractCheck.unmapped(mappings, doc), "fields missing from the mapping: " + doc);
        assertEquals(List.of(), ContractCheck.typeViolations(mappings, doc), "type mismatches: " + doc);
    }

    /** Keys of log_format switchyard_json in any nginx config under nginx/ in the repo (empty if none yet). */
    private static Set<String> logFormatKeysInRepo() throws IOException {
        Path nginx = Repo.root().resolve("nginx");
        Set<String> keys = new LinkedHashSet<>();
        if (!Files.isDirectory(nginx)) {
            return keys;
        }
        Pattern start = Pattern.compile("log_format\\s+switchyard_json[^;]*;", Pattern.DOTALL);
        Pattern key = Pattern.compile("\"([a-z_]+)\"\\s*:");
        try (Stream<Path> files = Files.walk(nginx)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Matcher m = start.matcher(Repo.read(f));
                while (m.find()) {
                    Matcher k = key.matcher(m.group().replace("\\\"", "\"").replace("'", ""));
                    while (k.find()) {
                        keys.add(k.group(1));
                    }
                }
            }
        }
        return new TreeSet<>(keys);
    }
}
