package io.switchyard.elk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Paths into the repository and small helpers shared by the tests. */
final class Repo {

    static final ObjectMapper JSON = new ObjectMapper();

    private Repo() {
    }

    static Path root() {
        String prop = System.getProperty("repo.root");
        Path root = prop != null ? Path.of(prop) : Path.of("..", "..");
        return root.toAbsolutePath().normalize();
    }

    static Path elk() {
        return root().resolve("elk");
    }

    static String read(Path path) {
        try {
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode readJson(Path path) {
        try {
            return JSON.readTree(path.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + path, e);
        }
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + json, e);
        }
    }

    /** Result of a finished child process. */
    record Result(int exitCode, String stdout, String stderr) {
        List<String> stdoutLines() {
            List<String> lines = new ArrayList<>();
            for (String line : stdout.split("\n")) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
            return lines;
        }
    }

    /** Runs a bash script from the repository root with extra environment; fails on timeout. */
    static Result bash(String script, Map<String, String> env, Duration timeout) {
        try {
            Path out = Files.createTempFile("bash-out", ".txt");
            Path err = Files.createTempFile("bash-err", ".txt");
            ProcessBuilder pb = new ProcessBuilder("bash", "-c", script)
                    .directory(root().toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            pb.environment().remove("LOGSTASH_HOST");
            pb.environment().remove("LOGSTASH_DEPLOY_PORT");
            pb.environment().remove("DEPLOY_EVENTS_FILE");
            pb.environment().putAll(env);
            Process process = pb.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("bash timed out after " + timeout + ": " + script);
            }
            Result result = new Result(process.exitValue(), Files.readString(out), Files.readString(err));
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Single-quotes a value for bash. */
    static String shellQuote(String value) {
        return "'" + value.replace("'", "'\\''") + "'";
    }
}
