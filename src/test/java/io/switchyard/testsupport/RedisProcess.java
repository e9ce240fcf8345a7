package io.switchyard.testsupport;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;

/** A real redis-server (the Debian package scripts/test.sh installs) on a free loopback port, owned by one test. */
public final class RedisProcess implements AutoCloseable {

    private final int port = FreePort.pick();
    private Process process;

    public RedisProcess start() throws IOException, InterruptedException {
        process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (Instant.now().isBefore(deadline)) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return this;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("redis-server did not start on port " + port);
    }

    /** Stops and starts again on the same port, empty (no persistence): what a Redis restart looks like. */
    public void restart() throws IOException, InterruptedException {
        stop();
        start();
    }

    /** Runs a redis-cli command against this server, e.g. {@code CLIENT PAUSE 3000 WRITE}. */
    public void cli(String... command) throws IOException, InterruptedException {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("redis-cli", "-p",
                Integer.toString(port)));
        args.addAll(java.util.List.of(command));
        Process cli = new ProcessBuilder(args).redirectErrorStream(true).start();
        String out = new String(cli.getInputStream().readAllBytes());
        if (cli.waitFor() != 0 || !out.strip().equals("OK")) {
            throw new IllegalStateException("redis-cli " + String.join(" ", command) + ": " + out);
        }
    }

    public int port() {
        return port;
    }

    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            process.waitFor();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
