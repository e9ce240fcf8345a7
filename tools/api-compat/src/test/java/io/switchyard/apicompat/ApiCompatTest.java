package io.switchyard.apicompat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The gate's decisions on fixtures: live.json is a small API like ours; each other fixture is live.json with one
 * change. Each test prints the decision (GATE fixture -> exit code) so the suite's log shows them.
 */
class ApiCompatTest {

    @Test
    void additiveChangesPass() {
        Run run = gate("additive.json");

        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(run.out()).contains("compatible").doesNotContain("REFUSED");
    }

    @Test
    void theSameDocumentPasses() {
        Run run = gate("live.json");

        assertThat(run.exit()).as(run.out()).isZero();
    }

    @ParameterizedTest(name = "{0} is refused")
    @CsvSource(delimiter = '|', value = {
            "removed-route.json              | route removed: POST /api/rooms/{roomId}/leave",
            "removed-response-field.json     | GET /api/users/me 200: response field removed: nickname",
            "renamed-response-field.json     | GET /api/users/me 200: response field removed: nickname",
            "new-required-request-field.json | POST /api/rooms request: newly required: topic",
            "new-required-parameter.json     | GET /api/rooms: new required parameter: cursor",
            "changed-response-type.json      | POST /api/rooms 201: type changed: id",
            "narrowed-request-field.json     | POST /api/rooms request: allowed values narrowed: name",
            "removed-optional-field.json     | GET /api/users/me 200: response field removed: email"})
    void breakingChangesAreRefusedWithTheReason(String fixture, String reason) {
        Run run = gate(fixture);

        assertThat(run.exit()).as(run.out()).isEqualTo(1);
        assertThat(run.out()).contains("REFUSED");
        for (String part : reason.split("\\|")) {
            assertThat(run.out()).as("the report names the change").contains(part.strip());
        }
    }

    @Test
    void theOverrideReportsButPasses() {
        Run run = run("--allow-breaking", fixture("live.json"), fixture("removed-route.json"));

        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(run.out()).contains("BREAKING change allowed by the operator's override");
    }

    @Test
    void unreadableInputIsAUsageError() {
        assertThat(run(fixture("live.json")).exit()).isEqualTo(2);
        assertThat(run(fixture("live.json"), "/nonexistent/openapi.json").exit()).isEqualTo(2);
    }

    private static Run gate(String fixture) {
        Run run = run(fixture("live.json"), fixture(fixture));
        System.out.println("GATE " + fixture + " -> exit " + run.exit() + " ("
                + (run.exit() == 0 ? "passes" : "refused") + ")");
        return run;
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ApiCompat.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8));
    }

    private static String fixture(String name) {
        try {
            return Path.of(Objects.requireNonNull(ApiCompatTest.class.getResource("/fixtures/" + name)).toURI())
                    .toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    record Run(int exit, String out) {
    }
}
