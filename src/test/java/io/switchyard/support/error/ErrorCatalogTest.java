package io.switchyard.support.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * docs/api/errors.md is the catalog for people: its table must be {@link ErrorCode}, code for code. Every code the
 * server sends comes from the enum (ApiException, ChatError and ChatRejection take nothing else), so a code the
 * catalog lacks cannot reach a client. Regenerate the table with {@code ./mvnw -q test -Dtest=ErrorCatalogTest
 * -Derrors.write=true}.
 */
class ErrorCatalogTest {

    static final Path CATALOG = Path.of("docs/api/errors.md");
    static final String BEGIN = "<!-- catalog:begin (ErrorCatalogTest) -->";
    static final String END = "<!-- catalog:end -->";

    @Test
    void theDocumentedTableIsTheCatalog() throws IOException {
        String document = Files.readString(CATALOG, StandardCharsets.UTF_8);
        int begin = document.indexOf(BEGIN);
        int end = document.indexOf(END);
        assertThat(begin).as("markers in " + CATALOG).isNotNegative();
        assertThat(end).as("markers in " + CATALOG).isGreaterThan(begin);
        String documented = document.substring(begin + BEGIN.length(), end).strip();
        String expected = table();
        if (Boolean.getBoolean("errors.write")) {
            Files.writeString(CATALOG, document.substring(0, begin + BEGIN.length()) + "\n" + expected + "\n"
                    + document.substring(end), StandardCharsets.UTF_8);
            return;
        }
        assertThat(documented)
                .as("%s and ErrorCode differ: regenerate the table with "
                        + "./mvnw -q test -Dtest=ErrorCatalogTest -Derrors.write=true", CATALOG)
                .isEqualTo(expected);
    }

    @Test
    void everyCodeAndEveryOldNameIsListedOnce() {
        Set<String> names = new HashSet<>();
        for (ErrorCode code : ErrorCode.values()) {
            assertThat(names.add(code.code())).as("listed twice: " + code.code()).isTrue();
            if (code.legacyCode() != null) {
                assertThat(names.add(code.legacyCode())).as("old name reused: " + code.legacyCode()).isTrue();
            }
        }
        assertThat(names).allMatch(name -> name.matches("[a-z]+(-[a-z]+)*"));
    }

    @Test
    void restCodesHaveAStatusAndStompOnlyCodesNone() {
        for (ErrorCode code : ErrorCode.values()) {
            boolean rest = code.transports().contains(ErrorCode.Transport.REST);
            if (code != ErrorCode.CLIENT_ERROR) {
                assertThat(code.status() != null).as(code.code()).isEqualTo(rest);
            }
        }
    }

    static String table() {
        StringBuilder table = new StringBuilder("| code | HTTP | STOMP | previous name | meaning |\n|---|---|---|---|---|");
        for (ErrorCode code : ErrorCode.values()) {
            table.append("\n| `").append(code.code()).append("` | ")
                    .append(code.status() == null ? (code == ErrorCode.CLIENT_ERROR ? "4xx" : "—")
                            : Integer.toString(code.status().value()))
                    .append(" | ").append(stomp(code)).append(" | ")
                    .append(code.legacyCode() == null ? "" : "`" + code.legacyCode() + "`")
                    .append(" | ").append(code.meaning()).append(" |");
        }
        return table.toString();
    }

    private static String stomp(ErrorCode code) {
        return Arrays.stream(ErrorCode.Transport.values())
                .filter(t -> t != ErrorCode.Transport.REST && code.transports().contains(t))
                .map(t -> t == ErrorCode.Transport.STOMP_ERRORS_QUEUE ? "errors queue" : "ERROR frame")
                .collect(Collectors.joining(", "))
                .transform(s -> s.isEmpty() ? "—" : s);
    }
}
