package io.switchyard.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The packaged jar ({@code target/switchyard.jar}, built before failsafe runs) in its own JVM, configured through
 * environment variables as in a container. For what only a fresh process shows: logging setup, SIGTERM.
 */
public final class PackagedApp implements AutoCloseable {

    private final Process process;
    private final int port;
    private final List<String> output = new CopyOnWriteArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private PackagedApp(Process process, int port) {
        this.process = process;
        this.port = port;
        Thread reader = new Thread(this::readOutput, "packaged-app-output");
        reader.setDaemon(true);
        reader.start();
    }

    public static PackagedApp start(Map<String, String> env) throws IOException {
        Path jar = Path.of(System.getProperty("switchyard.jar", "target/switchyard.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("packaged jar not found: " + jar.toAbsolutePath() + " (run mvn package)");
        }
        int port = FreePort.pick();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("SERVER_PORT", Integer.toString(port));
        builder.environment().putAll(env);
        return new PackagedApp(builder.start(), port);
    }

    public int port() {
        return port;
    }

    public List<String> output() {
        return List.copyOf(output);
    }

    public HttpResponse<String> get(String path, Map<String, String> headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30));
        headers.forEach(request::header);
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public void awaitReady(Duration deadline) throws InterruptedException {
        long until = System.nanoTime() + deadline.toNanos();
        while (System.nanoTime() < until) {
            if (!process.isAlive()) {
                throw new IllegalStateException("app exited with " + process.exitValue() + ":\n" + String.join("\n", output));
            }
            try {
                if (get("/actuator/health/readiness", Map.of()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("app not ready within " + deadline + ":\n" + String.join("\n", output));
    }

    /** SIGTERM, as docker stop sends; returns the exit code. */
    public int terminate(Duration deadline) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("app did not exit within " + deadline + " of SIGTERM");
        }
        return process.exitValue();
    }

    private void readOutput() {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                output.add(line);
            }
        } catch (IOException closed) {
            // process ended
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
