package io.switchyard.apicompat;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openapitools.openapidiff.core.OpenApiCompare;
import org.openapitools.openapidiff.core.model.ChangedOpenApi;
import org.openapitools.openapidiff.core.model.DiffResult;
import org.openapitools.openapidiff.core.output.ConsoleRender;

/**
 * The API compatibility gate: is the new release's OpenAPI document safe for clients of the live one? Blue and green
 * serve clients side by side during a switch, and clients of the live release keep calling the new one after it, so
 * the new document must accept every request the live one accepts and answer nothing a live client cannot read.
 *
 * <p>The judging is openapi-diff's (removed routes, removed required response fields or responses, new required
 * request fields or parameters, changed types, narrowed enums and ranges...), with one rule stricter than the
 * library's: a response field that may be absent is still refused when it disappears (openapi-diff lets it go),
 * since live clients read it whenever it is there. This class reads the two files, asks for the verdict and prints
 * it with the library's own report of what changed.
 *
 * <p>Usage: {@code java -jar api-compat.jar [--allow-breaking] <live-document> <new-document>}. Exit codes: see
 * {@link Verdict}.
 */
public final class ApiCompat {

    static final int USAGE = 2;

    private ApiCompat() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        boolean allowBreaking = false;
        int first = 0;
        if (args.length > 0 && args[0].equals("--allow-breaking")) {
            allowBreaking = true;
            first = 1;
        }
        if (args.length - first != 2) {
            err.println("usage: api-compat [--allow-breaking] <live-openapi.json> <new-openapi.json>");
            return USAGE;
        }
        String live;
        String next;
        try {
            live = read(args[first]);
            next = read(args[first + 1]);
        } catch (IOException e) {
            err.println("api-compat: cannot read " + e.getMessage());
            return USAGE;
        }
        Verdict verdict;
        try {
            verdict = judge(live, next);
        } catch (RuntimeException unreadable) {
            err.println("api-compat: not an OpenAPI document: " + unreadable.getMessage());
            return USAGE;
        }
        out.print(verdict.report());
        if (!verdict.report().endsWith("\n")) {
            out.println();
        }
        if (verdict.breaking()) {
            if (allowBreaking) {
                out.println("api-compat: BREAKING change allowed by the operator's override: clients of the live "
                        + "release may fail until they update");
                return Verdict.COMPATIBLE;
            }
            out.println("api-compat: REFUSED: the new release breaks clients of the live one (see above)");
            return Verdict.BREAKING;
        }
        out.println("api-compat: compatible (" + verdict.result().getValue() + ")");
        return Verdict.COMPATIBLE;
    }

    /** Compares two OpenAPI documents (JSON or YAML text). */
    static Verdict judge(String liveDocument, String newDocument) {
        ChangedOpenApi diff = OpenApiCompare.fromContents(liveDocument, newDocument);
        if (diff.getOldSpecOpenApi() == null || diff.getNewSpecOpenApi() == null) {
            throw new IllegalArgumentException("the parser returned no document");
        }
        BreakingChanges breaking = BreakingChanges.of(diff);
        StringBuilder report = new StringBuilder(new ConsoleRender().render(diff));
        breaking.reasons().forEach(reason -> report.append("Breaking: ").append(reason).append('\n'));
        DiffResult result = breaking.removedResponseFields() ? DiffResult.INCOMPATIBLE : diff.isChanged();
        return new Verdict(result, report.toString());
    }

    private static String read(String file) throws IOException {
        Path path = Path.of(file);
        if (!Files.isRegularFile(path)) {
            throw new IOException(file + ": no such file");
        }
        return Files.readString(path, StandardCharsets.UTF_8);
    }

    /**
     * @param result openapi-diff's verdict: NO_CHANGES, METADATA and COMPATIBLE pass, INCOMPATIBLE is breaking
     * @param report the library's account of what was added, removed and changed
     */
    record Verdict(DiffResult result, String report) {

        /** Exit code: the new document is compatible (or a breaking change was allowed). */
        static final int COMPATIBLE = 0;
        /** Exit code: the new document breaks clients of the live one. */
        static final int BREAKING = 1;

        boolean breaking() {
            return result.isIncompatible();
        }
    }
}
