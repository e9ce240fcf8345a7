package io.switchyard.support.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;

/**
 * The committed docs/api/openapi.json is the document the code serves. It is the client contract, and the deploy's
 * compatibility gate compares the live release's copy (baked into its image) with the new one's: a change of the
 * API must show up as a reviewed change of this file. Same configuration as EmbeddedChatIT (one cached context).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "switchyard.app.color=green")
class OpenApiDocumentIT {

    static final Path COMMITTED = Path.of("docs/api/openapi.json");
    static final String REGENERATE = "scripts/regenerate-api-docs.sh";

    @Autowired
    TestRestTemplate http;

    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Test
    void committedDocumentIsTheOneTheCodeServes() throws Exception {
        JsonNode served = json.readTree(http.getForObject("/v3/api-docs", String.class));
        assertThat(served.path("openapi").asText()).startsWith("3.1");
        if (Boolean.getBoolean("api-docs.write")) {
            Files.writeString(COMMITTED, json.writeValueAsString(served) + "\n", StandardCharsets.UTF_8);
            return;
        }
        assertThat(Files.exists(COMMITTED)).as(COMMITTED + " is missing: generate it with " + REGENERATE).isTrue();
        JsonNode committed = json.readTree(Files.readString(COMMITTED, StandardCharsets.UTF_8));
        assertThat(committed)
                .as("%s differs from what the code serves at %s; regenerate it with %s, review the diff (the deploy "
                        + "refuses a breaking change) and commit it", COMMITTED, differences(committed, served),
                        REGENERATE)
                .isEqualTo(served);
    }

    @Test
    void everyRouteOfTheApiIsDocumentedWithItsErrors() throws Exception {
        JsonNode document = json.readTree(Files.readString(COMMITTED, StandardCharsets.UTF_8));
        List<String> undocumented = new ArrayList<>();
        document.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
            JsonNode responses = op.getValue().path("responses");
            boolean hasProblem = false;
            for (var status = responses.fieldNames(); status.hasNext(); ) {
                String code = status.next();
                if (code.startsWith("4") || code.startsWith("5")) {
                    hasProblem |= responses.path(code).path("content").has("application/problem+json");
                }
            }
            if (!hasProblem || op.getValue().path("summary").asText().isEmpty()) {
                undocumented.add(op.getKey() + " " + path.getKey());
            }
        }));
        assertThat(undocumented).as("operations without a summary or error responses").isEmpty();
        assertThat(document.path("components").path("securitySchemes").path("bearer").path("scheme").asText())
                .isEqualTo("bearer");
    }

    /** Where the two differ: the paths and schemas whose subtrees are not equal. */
    private static Set<String> differences(JsonNode committed, JsonNode served) {
        Set<String> where = new TreeSet<>();
        for (String section : List.of("paths", "components/schemas")) {
            JsonNode a = committed.at("/" + section);
            JsonNode b = served.at("/" + section);
            Set<String> keys = new TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            keys.stream().filter(key -> !a.path(key).equals(b.path(key))).forEach(key -> where.add(section + ": " + key));
        }
        if (where.isEmpty() && !committed.equals(served)) {
            where.add("(info, tags, servers or security)");
        }
        return where;
    }
}
