package io.switchyard.elk;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON-lines fixtures under src/test/resources/fixtures.
 * app-log-lines.jsonl: lines captured from the real app (LOG_FORMAT=json, APM agent attached; only the
 * start-up line's jar path was neutralised; the stack trace of the WARN line, logged by Redis's client at a
 * shutdown, was cut to two frames); ApmAgentIT fails when the live lines' fields or JSON types drift from it. nginx-access-lines.jsonl: hand-written edge cases (no upstream, retried upstream, "-"),
 * whose JSON shape NginxAccessLogIT compares with lines written by a real nginx.
 */
final class Fixtures {

    private Fixtures() {
    }

    static List<JsonNode> jsonLines(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + name)) {
            if (in == null) {
                throw new AssertionError("missing fixture " + name);
            }
            List<JsonNode> out = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    out.add(Repo.parse(line));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
