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
            "upstream_status", "upstream_response_time", "upstream_color", "app_color", "env", "user_agent", "request_id"));

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

    /** emit_backup_event's real lines (every key it knows, numbers as numbers) and the fixture share the deploy-events index. */
    @Test
    void backupEventsFromBackupEventJsonMatchTheMappingAfterThePipeline() {
        Repo.Result r = Repo.bash("source scripts/lib/common.sh; source scripts/lib/backup-events.sh;"
                + " backup_event_json failed env=prod kind=scheduled snapshot=4f1c2d3e9a8b7c6d stores='mysql redis mongo'"
                + " image=switchyard:1.4.0 project=switchyard-data repository=s3:backups.example/sy host=app-1"
                + " message='restic exited 1' duration_ms=812 bytes=5234 added_bytes=12 exit_code=5 age_s=3",
                Map.of(), java.time.Duration.ofSeconds(30));
        assertEquals(0, r.exitCode(), r.stderr());
        JsonNode event = Repo.parse(r.stdout().trim());
        Set<String> expected = new TreeSet<>(List.of("@timestamp", "event.kind", "event.action", "event.outcome",
                "backup.env", "backup.kind", "backup.snapshot", "backup.stores", "backup.image", "backup.project",
                "backup.repository", "backup.host", "backup.message", "backup.duration_ms", "backup.bytes",
                "backup.added_bytes", "backup.exit_code", "backup.age_s"));
        assertEquals(expected, new TreeSet<>(ContractCheck.flatten(event).keySet()), "fields of " + event);
        assertTrue(event.path("backup").path("bytes").isNumber(), "numbers stay numbers: " + event);
        JsonNode mappings = IndexTemplates.mappings(IndexTemplates.DEPLOY_EVENTS);
        PipelineEmulator pipeline = new PipelineEmulator(PIPELINES.resolve("deploy-events.conf"));
        List<JsonNode> events = new java.util.ArrayList<>(Fixtures.jsonLines("backup-events.jsonl"));
        events.add(event);
        for (JsonNode line : events) {
            assertStrict(mappings, line);
            ObjectNode indexed = pipeline.apply(line);
            assertStrict(mappings, indexed);
            assertEquals("switchyard.backup", indexed.path("event").path("dataset").asText(), "dataset of " + indexed);
            assertFalse(indexed.has("tags"), "a backup event is expected on this input: " + indexed);
        }
    }

    /** scripts/disk-report.sh's real output (df, docker and Docker's API stubbed on PATH) matches the host-metrics template. */
    @Test
    void diskFiguresFromDiskReportMatchTheMappingAfterThePipeline() throws IOException {
        Path bin = Files.createTempDirectory("disk-report-stubs");
        Files.writeString(bin.resolve("df"), "#!/usr/bin/env bash\necho 'Mounted on 1B-blocks Used Avail'\n"
                + "case \"${!#}\" in /srv*) echo '/srv 2000 500 1500' ;; *) echo '/ 1000 910 90' ;; esac\n");
        Files.writeString(bin.resolve("docker"), "#!/usr/bin/env bash\ncase \"$1 $2\" in 'info -f') echo /var/lib/docker ;;"
                + " 'volume inspect') echo /srv/docker/volumes/es/_data ;; *) exit 1 ;; esac\n");
        Files.writeString(bin.resolve("curl"), "#!/usr/bin/env bash\necho '{\"LayersSize\":5000,\"Images\":[{}],"
                + "\"Volumes\":[{\"UsageData\":{\"Size\":700}}],\"Containers\":[{\"SizeRw\":30}],\"BuildCache\":[]}'\n");
        for (String stub : List.of("df", "docker", "curl")) {
            assertTrue(bin.resolve(stub).toFile().setExecutable(true));
        }
        Repo.Result r = Repo.bash("scripts/disk-report.sh --stdout prod", Map.of("PATH", bin + ":" + System.getenv("PATH"),
                "DISK_REPORT_HOST_NAME", "app-1"), java.time.Duration.ofSeconds(30));
        assertEquals(0, r.exitCode(), r.stderr());
        JsonNode mappings = IndexTemplates.mappings(IndexTemplates.HOST_METRICS);
        PipelineEmulator pipeline = new PipelineEmulator(PIPELINES.resolve("host-metrics.conf"));
        Set<String> datasets = new TreeSet<>();
        for (String line : r.stdoutLines()) {
            JsonNode raw = Repo.parse(line);
            assertStrict(mappings, raw);
            ObjectNode indexed = pipeline.apply(raw);
            assertStrict(mappings, indexed);
            datasets.add(indexed.path("event").path("dataset").asText());
            assertEquals("app-1", indexed.path("host").path("name").asText());
        }
        assertEquals(3, r.stdoutLines().size(), "root+docker share /, the ES volume on /srv, one Docker line: " + r.stdout());
        assertEquals(Set.of("switchyard.disk", "switchyard.docker"), datasets);
        assertTrue(r.stdout().contains("\"roles\":[\"root\",\"docker\"]") && r.stdout().contains("\"used_pct\":91"), r.stdout());
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
