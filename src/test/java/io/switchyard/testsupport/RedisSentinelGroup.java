package io.switchyard.testsupport;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Redis Sentinel group on loopback, owned by one test: a master, one replica and three sentinels
 * (quorum 2), each a process of Debian's redis-server / redis-sentinel on a free port. Sentinels mark the master
 * down after one second, so a failover takes a few seconds.
 */
public final class RedisSentinelGroup implements AutoCloseable {

    public static final String MASTER_NAME = "switchyard";
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private final Path dir;
    private final int masterPort = FreePort.pick();
    private final int replicaPort = FreePort.pick();
    private final List<Integer> sentinelPorts = List.of(FreePort.pick(), FreePort.pick(), FreePort.pick());
    private final List<Process> processes = new ArrayList<>();
    private final RedisClient client = RedisClient.create();
    private Process master;

    public RedisSentinelGroup() throws IOException {
        dir = Files.createTempDirectory("switchyard-sentinel");
    }

    /** Starts everything and returns once every sentinel sees the replica and the two other sentinels. */
    public RedisSentinelGroup start() throws IOException, InterruptedException {
        master = redisServer(masterPort);
        redisServer(replicaPort, "--replicaof", "127.0.0.1", Integer.toString(masterPort));
        for (int port : sentinelPorts) {
            Path conf = dir.resolve("sentinel-" + port + ".conf");
            // Sentinel rewrites its file with what it learns: each one needs its own, writable.
            Files.writeString(conf, String.join("\n",
                    "port " + port,
                    "bind 127.0.0.1",
                    "dir " + dir,
                    "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + masterPort + " 2",
                    "sentinel down-after-milliseconds " + MASTER_NAME + " 1000",
                    "sentinel failover-timeout " + MASTER_NAME + " 10000",
                    "sentinel parallel-syncs " + MASTER_NAME + " 1",
                    ""));
            start(List.of(sentinelBinary(), conf.toString()), port);
        }
        await("replica in sync", () -> info(replicaPort, "replication").contains("master_link_status:up"));
        for (int port : sentinelPorts) {
            await("sentinel " + port + " sees the replica and two peers", () -> {
                Map<String, String> state = sentinel(port, s -> s.sync().master(MASTER_NAME));
                return "1".equals(state.get("num-slaves")) && "2".equals(state.get("num-other-sentinels"));
            });
        }
        return this;
    }

    /** {@code host:port,...}, as REDIS_SENTINEL_NODES takes it. */
    public String sentinelNodes() {
        return sentinelPorts.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    public int masterPort() {
        return masterPort;
    }

    public int replicaPort() {
        return replicaPort;
    }

    /** The master port the sentinels report now. */
    public int reportedMasterPort() {
        SocketAddress address = sentinel(sentinelPorts.get(0), s -> s.sync().getMasterAddrByName(MASTER_NAME));
        return ((InetSocketAddress) address).getPort();
    }

    /** Kills the master with SIGKILL: a crash, not a shutdown (no goodbye to clients or replicas). */
    public void killMaster() throws InterruptedException {
        master.destroyForcibly();
        master.waitFor();
    }

    /** Subscriptions to a channel, counted by the server on the given port (PUBSUB NUMSUB). */
    public long subscribers(int port, String channel) {
        try (StatefulRedisConnection<String, String> c = client.connect(RedisURI.create("127.0.0.1", port))) {
            return c.sync().pubsubNumsub(channel).getOrDefault(channel, 0L);
        }
    }

    public String info(int port, String section) {
        try (StatefulRedisConnection<String, String> c = client.connect(RedisURI.create("127.0.0.1", port))) {
            return c.sync().info(section);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor();
        }
        client.shutdown();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    private <T> T sentinel(int port, java.util.function.Function<StatefulRedisSentinelConnection<String, String>, T> call) {
        try (StatefulRedisSentinelConnection<String, String> s =
                client.connectSentinel(RedisURI.create("127.0.0.1", port))) {
            return call.apply(s);
        }
    }

    private Process redisServer(int port, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()));
        cmd.addAll(List.of(extra));
        return start(cmd, port);
    }

    private Process start(List<String> cmd, int port) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis-" + port + ".log").toFile()).start();
        processes.add(process);
        await(cmd.get(0) + " listening on " + port, () -> {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException notYet) {
                return false;
            }
        });
        return process;
    }

    private static String sentinelBinary() {
        Path debian = Path.of("/usr/bin/redis-sentinel");
        if (!Files.isExecutable(debian)) {
            throw new IllegalStateException("redis-sentinel not found: install Debian's redis-sentinel "
                    + "(scripts/test.sh does)");
        }
        return debian.toString();
    }

    private void await(String what, BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + DEADLINE.toNanos();
        while (System.nanoTime() < until) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException notYet) {
                // not answering yet: keep polling until the deadline
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(what + ": not within " + DEADLINE.toSeconds() + " s\n" + logTails());
    }

    /** The last lines of every process log, for a failure message (the directory goes away with close()). */
    private String logTails() {
        StringBuilder out = new StringBuilder();
        try (Stream<Path> logs = Files.list(dir)) {
            for (Path log : logs.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
                List<String> lines = Files.readAllLines(log);
                out.append("--- ").append(log.getFileName()).append('\n')
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size())))
                        .append('\n');
            }
        } catch (IOException e) {
            out.append("(logs unreadable: ").append(e.getMessage()).append(')');
        }
        return out.toString();
    }
}
