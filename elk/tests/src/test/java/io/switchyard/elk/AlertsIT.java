package io.switchyard.elk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Alerts end to end on a real Elasticsearch node: real nginx answers a 502 burst for blue (nothing listens
 * there) and slow requests for green; its access lines go through the Logstash filter emulation into the
 * node as Logstash's file input would ship them (polled every second, the template's 5 s refresh); a disk
 * figure from the real scripts/disk-report.sh (df stubbed at 91 %), deploy events from the real
 * emit_deploy_event and backup events from the real backup_event_json go in the same way. The real
 * scripts/alerts.sh runs every RUNNER_S, as its systemd timer would, as the read-only user of setup.sh's role,
 * and posts to a local webhook receiver. Each alert
 * must arrive within 2 minutes of its cause, once, and a resolved message must follow when it clears.
 */
class AlertsIT {

    private static final String ENV = "alerttest";
    private static final int RUNNER_S = 10;
    private static final int WINDOW_S = 20;
    private static final Duration PROMISE = Duration.ofMinutes(2);
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy.MM.dd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyy.MM").withZone(ZoneOffset.UTC);

    /** One webhook delivery. */
    record Message(Instant at, String kind, String key, String text) {
    }

    private final List<Message> messages = new CopyOnWriteArrayList<>();
    private final List<String> receiverProblems = new CopyOnWriteArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final PipelineEmulator nginxPipeline = new PipelineEmulator(Repo.elk().resolve("logstash/pipeline/nginx-access.conf"));
    private final PipelineEmulator deployPipeline = new PipelineEmulator(Repo.elk().resolve("logstash/pipeline/deploy-events.conf"));
    private final PipelineEmulator metricsPipeline = new PipelineEmulator(Repo.elk().resolve("logstash/pipeline/host-metrics.conf"));
    private Path work;
    private Map<String, String> runnerEnv;

    @Test
    void everyAlertReachesTheWebhookOnceAndResolves() throws Exception {
        work = Files.createTempDirectory("switchyard-alerts-it");
        IndexTemplates.putAll();
        String readerPassword = alertReaderPassword();

        HttpServer backend = backend();
        HttpServer receiver = receiver();
        int deadPort = TestNginx.freePort();
        ScheduledExecutorService timers = Executors.newScheduledThreadPool(2);
        ExecutorService load = Executors.newFixedThreadPool(8);
        try (TestNginx nginx = new TestNginx(ENV, backend.getAddress().getPort(), deadPort)) {
            runnerEnv = runnerEnv(nginx, receiver, readerPassword, backend.getAddress().getPort(), deadPort);
            timers.scheduleWithFixedDelay(shipAccessLog(nginx.accessLog), 0, 1, TimeUnit.SECONDS);
            timers.scheduleWithFixedDelay(this::runAlerts, 2, RUNNER_S, TimeUnit.SECONDS);

            // Before the deploy: green serves fast; the baseline of the rise rule.
            requests(load, nginx.url("/api/home"), 30);
            Thread.sleep(1500);
            deployEvent("alerttest-20261201-1001", "switched", "from_color=green", "to_color=blue", "image=switchyard:2.0.0-bad");

            // Causes: blue answers 502 (it is down), green turns slow, a disk fills up, a deploy fails.
            Map<String, Instant> cause = new LinkedHashMap<>();
            Instant t = Instant.now();
            cause.put("errors:" + ENV + ":blue", t);
            cause.put("rise:" + ENV + ":alerttest-20261201-1001", t);
            Future<?> burst = load.submit(() -> requests(null, nginx.url("/blue/api/home"), 40));
            cause.put("latency:" + ENV + ":green", Instant.now());
            Future<?> slow = load.submit(() -> requests(null, nginx.url("/api/slow"), 24));
            cause.put("disk:alerttest-host:/", Instant.now());
            diskFigure(91);
            cause.put("deploy:" + ENV + ":failed:alerttest-20261201-1002", Instant.now());
            deployEvent("alerttest-20261201-1002", "failed", "from_color=green", "to_color=blue", "image=switchyard:2.0.1-bad",
                    "step=health_check", "message=readiness not UP within 180s");
            cause.put("backup:" + ENV + ":failed:scheduled", Instant.now());
            backupEvent("failed", "kind=scheduled", "host=alerttest-host", "message=restic exited 1", "exit_code=5");
            burst.get(60, TimeUnit.SECONDS);
            Instant burstEnd = Instant.now();
            slow.get(60, TimeUnit.SECONDS);
            Instant slowEnd = Instant.now();
            Map<String, Duration> fired = await("firing", cause);

            // Clearing: blue's 502s and green's slow answers stopped when their bursts ended (they leave the
            // window); roll back to green (a rollback is an incident of its own); free the disk.
            Map<String, Instant> clear = new LinkedHashMap<>();
            clear.put("errors:" + ENV + ":blue", burstEnd);
            clear.put("latency:" + ENV + ":green", slowEnd);
            Instant rollback = Instant.now();
            deployEvent("alerttest-20261201-1003", "rolled_back", "from_color=blue", "to_color=green", "image=switchyard:1.9.0");
            clear.put("rise:" + ENV + ":alerttest-20261201-1001", rollback);
            Map<String, Instant> rolledBack = Map.of("deploy:" + ENV + ":rolled_back:alerttest-20261201-1003", rollback);
            clear.put("disk:alerttest-host:/", Instant.now());
            diskFigure(40);
            clear.put("backup:" + ENV + ":failed:scheduled", Instant.now());
            backupEvent("succeeded", "kind=scheduled", "host=alerttest-host", "snapshot=4f1c2d3e9a8b7c6d", "bytes=5234");
            Map<String, Duration> rollbackFired = await("firing", rolledBack);
            Map<String, Duration> resolved = await("resolved", clear);
            for (int i = 0; i < 3; i++) {
                requests(load, nginx.url("/api/home"), 10);
            }

            // A later deploy succeeds: both deploy incidents close.
            Instant success = Instant.now();
            deployEvent("alerttest-20261201-1004", "succeeded", "from_color=green", "to_color=blue", "image=switchyard:2.0.2");
            Map<String, Duration> deployResolved = await("resolved", Map.of(
                    "deploy:" + ENV + ":failed:alerttest-20261201-1002", success,
                    "deploy:" + ENV + ":rolled_back:alerttest-20261201-1003", success));

            // Two more runs: nothing is repeated.
            int before = messages.size();
            Thread.sleep((2L * RUNNER_S + 2) * 1000);
            assertEquals(before, messages.size(), "no message repeats for an incident: " + messages.subList(before, messages.size()));

            Map<String, Long> perKey = new TreeMap<>();
            for (Message m : messages) {
                perKey.merge(m.kind() + " " + m.key(), 1L, Long::sum);
            }
            Set<String> expected = new TreeSet<>();
            for (String key : List.of("errors:" + ENV + ":blue", "rise:" + ENV + ":alerttest-20261201-1001",
                    "latency:" + ENV + ":green", "disk:alerttest-host:/", "deploy:" + ENV + ":failed:alerttest-20261201-1002",
                    "deploy:" + ENV + ":rolled_back:alerttest-20261201-1003", "backup:" + ENV + ":failed:scheduled")) {
                expected.add("firing " + key);
                expected.add("resolved " + key);
            }
            assertEquals(expected, perKey.keySet(), "exactly these messages: " + messages);
            perKey.forEach((k, n) -> assertEquals(1L, n, "once: " + k));
            assertEquals(List.of(), receiverProblems);

            System.out.println("[AlertsIT] Elasticsearch " + EsNode.version() + "; runner every " + RUNNER_S + "s, window "
                    + WINDOW_S + "s; cause -> webhook (firing): " + seconds(fired) + " " + seconds(rollbackFired));
            System.out.println("[AlertsIT] clearing -> webhook (resolved; errors/latency include the " + WINDOW_S
                    + "s window): " + seconds(resolved) + " " + seconds(deployResolved));
            for (Message m : messages) {
                System.out.println("[AlertsIT] message: " + m.text());
            }
        } finally {
            timers.shutdownNow();
            load.shutdownNow();
            backend.stop(0);
            receiver.stop(0);
            EsNode.deleteIndices("switchyard-nginx-access-" + DAY.format(Instant.now()) + ",switchyard-host-metrics-"
                    + DAY.format(Instant.now()) + ",switchyard-deploy-events-" + MONTH.format(Instant.now()));
        }
    }

    // ---- the pieces around the runner

    /**
     * The alert runner's user: tests/elk/lib/es-node.sh puts switchyard_alerts with setup.sh's own role JSON into
     * the node's file realm (setup.sh's API calls need the .security index, which this distribution cannot create).
     */
    private String alertReaderPassword() throws Exception {
        String reader = System.getProperty("elk.es.readerPassword", "");
        assertTrue(!reader.isBlank(), "no alert reader: run through tests/elk/run.sh (sets -Delk.es.readerPassword)");
        return reader;
    }

    private Map<String, String> runnerEnv(TestNginx nginx, HttpServer receiver, String readerPassword, int green, int blue)
            throws Exception {
        Path envDir = Files.createDirectories(work.resolve("env"));
        Files.copy(Repo.root().resolve("scripts/env/common.env"), envDir.resolve("common.env"));
        Files.writeString(envDir.resolve(ENV + ".env"), ": \"${NGINX_LISTEN:=" + nginx.port + "}\"\n: \"${BLUE_PORT:=" + blue
                + "}\"\n: \"${GREEN_PORT:=" + green + "}\"\n");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SWITCHYARD_ENV_DIR", envDir.toString());
        env.put("SWITCHYARD_STATE_DIR", work.resolve("state").toString());
        env.put("ELK_SECRETS_FILE", work.resolve("no-secrets.env").toString());
        env.put("ELK_ES_URL", EsNode.url());
        env.put("ELK_ES_PASSWORD", readerPassword);
        env.put("NOTIFY_WEBHOOK_URL", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hooks/T000/secret-path");
        env.put("ALERT_WINDOW_S", String.valueOf(WINDOW_S));
        env.put("ALERT_MIN_REQUESTS", "10");
        return env;
    }

    private void runAlerts() {
        try {
            Repo.Result r = Repo.bash("scripts/alerts.sh " + ENV, runnerEnv, Duration.ofSeconds(60));
            if (r.exitCode() != 0 || r.stderr().contains("ERROR")) {
                System.out.println("[AlertsIT] alerts.sh exit " + r.exitCode() + ": " + r.stderr());
            }
        } catch (RuntimeException | AssertionError e) {
            System.out.println("[AlertsIT] alerts.sh run failed: " + e);
        }
    }

    /** Like Logstash's file input: new lines every second, through the pipeline's filters, into the day's index. */
    private Runnable shipAccessLog(Path log) {
        long[] offset = {0};
        return () -> {
            try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
                if (f.length() <= offset[0]) {
                    return;
                }
                f.seek(offset[0]);
                byte[] bytes = new byte[(int) (f.length() - offset[0])];
                f.readFully(bytes);
                String text = new String(bytes, StandardCharsets.UTF_8);
                int end = text.lastIndexOf('\n') + 1;
                offset[0] += text.substring(0, end).getBytes(StandardCharsets.UTF_8).length;
                List<ObjectNode> docs = new ArrayList<>();
                for (String line : text.substring(0, end).split("\n")) {
                    if (!line.isBlank()) {
                        docs.add(nginxPipeline.apply(Repo.parse(line)));
                    }
                }
                bulk(docs, d -> "switchyard-nginx-access-" + DAY.format(Instant.parse(d.path("@timestamp").asText())));
            } catch (Exception e) {
                System.out.println("[AlertsIT] shipping the access log failed: " + e);
            }
        };
    }

    private void diskFigure(int usedPct) throws Exception {
        Path bin = Files.createDirectories(work.resolve("stub-bin-" + usedPct));
        long size = 100L * 1024 * 1024 * 1024;
        long used = size * usedPct / 100;
        Path df = bin.resolve("df");
        Files.writeString(df, "#!/usr/bin/env bash\necho 'Mounted on 1B-blocks Used Avail'\necho '/ " + size + " " + used + " "
                + (size - used) + "'\n");
        df.toFile().setExecutable(true);
        Path docker = bin.resolve("docker");
        Files.writeString(docker, "#!/usr/bin/env bash\nexit 1\n");
        docker.toFile().setExecutable(true);
        Map<String, String> env = new LinkedHashMap<>(runnerEnv);
        env.put("PATH", bin + ":" + System.getenv("PATH"));
        env.put("DISK_REPORT_HOST_NAME", "alerttest-host");
        env.put("DOCKER_SOCKET", work.resolve("no-docker.sock").toString());
        Repo.Result r = Repo.bash("scripts/disk-report.sh --stdout " + ENV, env, Duration.ofSeconds(30));
        assertEquals(0, r.exitCode(), "disk-report.sh: " + r.stderr());
        List<ObjectNode> docs = new ArrayList<>();
        for (String line : r.stdoutLines()) {
            docs.add(metricsPipeline.apply(Repo.parse(line)));
        }
        assertEquals(1, docs.size(), "one file system: " + docs);
        assertEquals((double) usedPct, docs.get(0).path("disk").path("used_pct").asDouble(), 0.05);
        bulk(docs, d -> "switchyard-host-metrics-" + DAY.format(Instant.now()));
    }

    private void deployEvent(String id, String action, String... keyValues) throws Exception {
        List<String> kv = new ArrayList<>(List.of("env=" + ENV, "user=jenkins"));
        kv.addAll(List.of(keyValues));
        List<ObjectNode> docs = new ArrayList<>();
        for (JsonNode e : DeployEvents.emit(List.of(new DeployEvents.Call(id, action, kv)))) {
            docs.add(deployPipeline.apply(e));
        }
        bulk(docs, d -> "switchyard-deploy-events-" + MONTH.format(Instant.now()));
    }

    /** The real backup_event_json (scripts/lib/backup-events.sh), through the deploy-events pipeline as Logstash ships it. */
    private void backupEvent(String action, String... keyValues) throws Exception {
        StringBuilder call = new StringBuilder("source scripts/lib/common.sh; source scripts/lib/backup-events.sh; backup_event_json ")
                .append(action).append(" env=").append(ENV);
        for (String kv : keyValues) {
            call.append(" '").append(kv).append("'");
        }
        Repo.Result r = Repo.bash(call.toString(), Map.of(), Duration.ofSeconds(30));
        assertEquals(0, r.exitCode(), "backup_event_json: " + r.stderr());
        ObjectNode doc = deployPipeline.apply(Repo.parse(r.stdout().trim()));
        assertEquals("switchyard.backup", doc.path("event").path("dataset").asText(), "dataset of " + doc);
        bulk(List.of(doc), d -> "switchyard-deploy-events-" + MONTH.format(Instant.now()));
    }

    private void bulk(List<ObjectNode> docs, java.util.function.Function<ObjectNode, String> index) throws Exception {
        if (docs.isEmpty()) {
            return;
        }
        StringBuilder body = new StringBuilder();
        for (ObjectNode d : docs) {
            body.append("{\"index\":{\"_index\":\"").append(index.apply(d)).append("\"}}\n").append(d).append('\n');
        }
        // No refresh=true: documents become searchable after the template's refresh_interval, as in production.
        JsonNode r = EsNode.call("POST", "/_bulk", body.toString());
        assertTrue(!r.path("errors").asBoolean(true), "bulk: " + r);
    }

    private void requests(ExecutorService pool, String url, int n) {
        List<Future<?>> pending = new ArrayList<>();
        ExecutorService own = pool != null ? pool : Executors.newFixedThreadPool(8);
        for (int i = 0; i < n; i++) {
            pending.add(own.submit(() -> client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()));
        }
        for (Future<?> f : pending) {
            try {
                f.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("request to " + url + " failed", e);
            }
        }
        if (pool == null) {
            own.shutdown();
        }
    }

    private static HttpServer backend() throws Exception {
        HttpServer backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        backend.setExecutor(Executors.newFixedThreadPool(16));
        backend.createContext("/", exchange -> {
            if (exchange.getRequestURI().getPath().equals("/api/slow")) {
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("X-App-Color", "green");
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("{}".getBytes(StandardCharsets.UTF_8));
            exchange.close();
        });
        backend.start();
        return backend;
    }

    /** A Slack-compatible incoming webhook: POST of {"text": ...} as JSON, answered 200 "ok". */
    private HttpServer receiver() throws Exception {
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        receiver.createContext("/", exchange -> {
            Instant at = Instant.now();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (!exchange.getRequestMethod().equals("POST") || !exchange.getRequestURI().getPath().equals("/hooks/T000/secret-path")
                    || !String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type")).startsWith("application/json")) {
                receiverProblems.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " "
                        + exchange.getRequestHeaders().getFirst("Content-Type"));
            }
            JsonNode json = Repo.parse(body);
            if (!json.path("text").isTextual()) {
                receiverProblems.add("no text: " + body);
            }
            messages.add(new Message(at, json.path("switchyard").path("kind").asText(), json.path("switchyard").path("key").asText(),
                    json.path("text").asText()));
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("ok".getBytes(StandardCharsets.UTF_8));
            exchange.close();
        });
        receiver.start();
        return receiver;
    }

    /** Waits until a message of this kind arrived for every key; returns cause -> message per key. */
    private Map<String, Duration> await(String kind, Map<String, Instant> causes) throws InterruptedException {
        Map<String, Duration> took = new TreeMap<>();
        Instant deadline = Instant.now().plus(PROMISE).plusSeconds(10);
        while (took.size() < causes.size() && Instant.now().isBefore(deadline)) {
            for (Map.Entry<String, Instant> c : causes.entrySet()) {
                Predicate<Message> match = m -> m.kind().equals(kind) && m.key().equals(c.getKey());
                messages.stream().filter(match).findFirst().ifPresent(m -> took.put(c.getKey(), Duration.between(c.getValue(), m.at())));
            }
            Thread.sleep(250);
        }
        assertEquals(causes.keySet(), took.keySet(), kind + " messages within " + PROMISE + "; got " + messages);
        took.forEach((key, d) -> assertTrue(d.compareTo(PROMISE) <= 0, kind + " " + key + " took " + d));
        return took;
    }

    private static String seconds(Map<String, Duration> took) {
        Map<String, String> out = new TreeMap<>();
        took.forEach((k, d) -> out.put(k, String.format("%.1fs", d.toMillis() / 1000.0)));
        return out.toString();
    }
}
