package io.switchyard.elk;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Produces deploy events by running the real emit_deploy_event from scripts/lib/events.sh. */
final class DeployEvents {

    /** One call: emit_deploy_event action key=value... (DEPLOY_ID is exported before the call). */
    record Call(String deployId, String action, List<String> keyValues) {
    }

    private DeployEvents() {
    }

    /** Runs every call in one bash process and returns the JSON lines written to DEPLOY_EVENTS_FILE. */
    static List<JsonNode> emit(List<Call> calls) {
        try {
            Path file = Files.createTempFile("deploy-events", ".jsonl");
            Files.delete(file);
            StringBuilder script = new StringBuilder("set -euo pipefail\nsource scripts/lib/events.sh\n");
            for (Call c : calls) {
                script.append("DEPLOY_ID=").append(Repo.shellQuote(c.deployId())).append('\n');
                script.append("emit_deploy_event ").append(Repo.shellQuote(c.action()));
                for (String kv : c.keyValues()) {
                    script.append(' ').append(Repo.shellQuote(kv));
                }
                script.append('\n');
            }
            Repo.Result r = Repo.bash(script.toString(), Map.of("DEPLOY_EVENTS_FILE", file.toString()),
                    Duration.ofSeconds(60));
            if (r.exitCode() != 0) {
                throw new AssertionError("emit_deploy_event failed: " + r.stderr());
            }
            List<JsonNode> events = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                events.add(Repo.parse(line));
            }
            Files.deleteIfExists(file);
            return events;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
