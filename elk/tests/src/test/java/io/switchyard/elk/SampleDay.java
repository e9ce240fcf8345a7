package io.switchyard.elk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * A deterministic day of Switchyard traffic on 2026-11-20 (UTC), as raw source lines:
 * blue serves 00:00-12:00 and green 12:00-24:00 after deploy B switches; green returns 502 for
 * its first ten minutes; a failed deploy (A) at 05:00; a dev deploy (C) switched and rolled back.
 */
final class SampleDay {

    static final Instant DAY = Instant.parse("2026-11-20T00:00:00Z");
    static final Instant DAY_END = DAY.plusSeconds(86_400);
    private static final DateTimeFormatter NGINX_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX").withZone(ZoneOffset.UTC);

    final List<ObjectNode> nginxRaw = new ArrayList<>();
    final List<ObjectNode> appLogs = new ArrayList<>();
    /** Disk figures as scripts/disk-report.sh writes them: every 10 minutes, host app-1. */
    final List<ObjectNode> hostMetrics = new ArrayList<>();
    final List<DeployEvents.Call> deployCalls = new ArrayList<>();
    /** Timestamp for each deploy call, same order. */
    final List<Instant> deployTimes = new ArrayList<>();

    SampleDay() {
        nginx();
        appLogs();
        deploys();
        hostMetrics();
    }

    /** The root file system fills from 40 % (00:00) by 2 points an hour; the Elasticsearch volume stays at 30 %. */
    static double rootUsedPct(int hour, int minute) {
        return Math.round((40 + 2 * hour + minute / 30.0) * 10) / 10.0;
    }

    private void hostMetrics() {
        long size = 100L * 1024 * 1024 * 1024;
        for (int m = 0; m < 1440; m += 10) {
            Instant t = at(m / 60, m % 60, 30);
            for (String mount : List.of("/", "/srv")) {
                double pct = mount.equals("/") ? rootUsedPct(m / 60, m % 60) : 30.0;
                ObjectNode n = Repo.JSON.createObjectNode();
                n.put("@timestamp", t.toString());
                n.putObject("event").put("kind", "metric").put("dataset", "switchyard.disk");
                n.putObject("host").put("name", "app-1");
                ObjectNode d = n.putObject("disk");
                d.put("mount", mount);
                d.putArray("roles").add(mount.equals("/") ? "root" : "elasticsearch-data");
                d.putArray("paths").add(mount.equals("/") ? "/" : "/srv/docker/volumes/switchyard-elk_elasticsearch-data/_data");
                long used = (long) (size * pct / 100);
                d.put("size_bytes", size).put("used_bytes", used).put("avail_bytes", size - used).put("used_pct", pct);
                hostMetrics.add(n);
            }
            ObjectNode n = Repo.JSON.createObjectNode();
            n.put("@timestamp", t.toString());
            n.putObject("event").put("kind", "metric").put("dataset", "switchyard.docker");
            n.putObject("host").put("name", "app-1");
            n.putObject("docker").put("images_bytes", 1_000_000_000L + (m / 60) * 100_000_000L).put("images_count", 12)
                    .put("volumes_bytes", 500_000_000L).put("volumes_count", 4).put("containers_bytes", 4096L)
                    .put("containers_count", 3).put("build_cache_bytes", 0L);
            hostMetrics.add(n);
        }
    }

    static Instant at(int hour, int minute, int second) {
        return DAY.plusSeconds(hour * 3600L + minute * 60L + second);
    }

    private ObjectNode nginxLine(Instant t, String method, String uri, String status, String upstreamAddr,
            String upstreamStatus, String upstreamTime, String requestTime, String color) {
        ObjectNode n = Repo.JSON.createObjectNode();
        // log_format switchyard_json escape=json: quoted values are strings, even when empty.
        n.put("time", NGINX_TIME.format(t));
        n.put("remote_addr", "203.0.113." + (1 + nginxRaw.size() % 200));
        n.put("method", method);
        n.put("uri", uri);
        // $status, $body_bytes_sent and $request_time are unquoted in the log_format: JSON numbers.
        n.put("status", Integer.parseInt(status));
        n.put("body_bytes_sent", status.startsWith("2") ? 512 : 97);
        n.put("request_time", new java.math.BigDecimal(requestTime));
        n.put("upstream_addr", upstreamAddr);
        n.put("upstream_status", upstreamStatus);
        n.put("upstream_response_time", upstreamTime);
        // The color nginx routed to, from the upstream port (prod: blue 8081, green 8082).
        n.put("upstream_color", upstreamAddr.isEmpty() ? "" : upstreamAddr.endsWith(":8082") ? "green" : "blue");
        n.put("app_color", color);
        n.put("env", "prod");
        n.put("user_agent", "Mozilla/5.0 (sample)");
        n.put("request_id", String.format("%032x", nginxRaw.size() + 1));
        return n;
    }

    private void nginx() {
        for (int m = 0; m < 1440; m++) {
            int hour = m / 60;
            int minute = m % 60;
            boolean blue = m < 720;
            String color = blue ? "blue" : "green";
            String addr = blue ? "127.0.0.1:8081" : "127.0.0.1:8082";
            boolean slow = minute >= 50;
            String upstream = blue ? (slow ? "0.300" : "0.020") : (slow ? "0.900" : "0.050");
            String status = m % 7 == 0 ? "401" : "200";
            if (blue && hour == 3 && minute >= 15 && minute <= 17) {
                status = "500";
            }
            if (!blue && hour == 12 && minute < 10) {
                status = "502";
            }
            String uri = status.equals("401") ? "/api/users/me" : "/api/home";
            nginxRaw.add(nginxLine(at(hour, minute, 7), "GET", uri, status, addr, status, upstream,
                    addRequestOverhead(upstream), color));
        }
        // Rate-limited by nginx itself: no upstream at all, so no color and no upstream time.
        for (int i = 0; i < 4; i++) {
            nginxRaw.add(nginxLine(at(8, 30, i), "POST", "/api/auth/kakao", "429", "", "", "", "0.000", ""));
        }
        // Upstream timed out: 504 generated by nginx, the app never answered, so no X-App-Color.
        for (int i = 0; i < 2; i++) {
            nginxRaw.add(nginxLine(at(18, 0, 20 + i), "GET", "/api/home", "504", "127.0.0.1:8082", "504",
                    "60.001", "60.002", ""));
        }
        // A retried request: two upstream attempts, times are summed by the pipeline (0.030).
        nginxRaw.add(nginxLine(at(13, 30, 30), "GET", "/api/home", "200", "127.0.0.1:8082, 127.0.0.1:8082",
                "502, 200", "0.010, 0.020", "0.031", "green"));
    }

    private static String addRequestOverhead(String upstream) {
        return String.format("%.3f", Double.parseDouble(upstream) + 0.001);
    }

    private ObjectNode appLine(Instant t, String level, String logger, String message, String color, String traceId) {
        ObjectNode n = Repo.JSON.createObjectNode();
        n.put("@timestamp", t.toString());
        n.put("@version", "1");
        n.put("message", message);
        n.put("logger_name", logger);
        n.put("thread_name", "http-nio-8080-exec-" + (1 + appLogs.size() % 10));
        n.put("level", level);
        n.put("level_value", switch (level) {
            case "ERROR" -> 40000;
            case "WARN" -> 30000;
            default -> 20000;
        });
        // Custom fields as logstash-logback-encoder writes them: dotted keys.
        n.put("app.color", color);
        n.put("app.version", color.equals("blue") ? "1.0.1" : "1.0.2");
        n.put("app.env", "prod");
        if (traceId != null) {
            n.put("trace.id", traceId);
            n.put("transaction.id", traceId.substring(0, 16));
        }
        if (level.equals("ERROR")) {
            n.put("stack_trace", "java.lang.IllegalStateException: " + message + "\n\tat io.switchyard.Sample.run(Sample.java:1)\n");
        }
        appLogs.add(n);
        return n;
    }

    private void appLogs() {
        for (int m = 0; m < 1440; m += 10) {
            String color = m < 720 ? "blue" : "green";
            appLine(at(m / 60, m % 60, 1), "INFO", "io.switchyard.home.HomeController", "home page served", color,
                    String.format("%032x", 0xabc000L + m));
        }
        for (int i = 0; i < 4; i++) {
            appLine(at(3, 15 + i, 2), "ERROR", "io.switchyard.support.RedisHealth", "Redis connection refused", "blue", null);
        }
        for (int i = 0; i < 6; i++) {
            appLine(at(12, 1 + i, 3), "ERROR", "io.switchyard.auth.KakaoClient", "Kakao token exchange failed: 503 from kauth",
                    "green", String.format("%032x", 0xdef000L + i));
        }
        for (int i = 0; i < 2; i++) {
            appLine(at(20, i, 4), "ERROR", "io.switchyard.support.ErrorHandler", "Unhandled exception in ChatController",
                    "green", String.format("%032x", 0xfed000L + i));
        }
        for (int i = 0; i < 5; i++) {
            appLine(at(9, i, 5), "WARN", "io.switchyard.chat.MessageRepository", "slow query", "blue", null);
        }
    }

    private void deploy(Instant t, String id, String action, String... kv) {
        deployCalls.add(new DeployEvents.Call(id, action, List.of(kv)));
        deployTimes.add(t);
    }

    private void deploys() {
        String a = "prod-20261120050000-4101";
        String imgA = "switchyard:1.0.1-bad0001";
        deploy(at(5, 0, 0), a, "start", "env=prod", "image=" + imgA, "from_color=blue", "to_color=green", "user=jenkins");
        deploy(at(5, 1, 30), a, "step", "env=prod", "image=" + imgA, "from_color=blue", "to_color=green", "user=jenkins",
                "step=health_check", "duration_ms=90000", "result=failed", "message=readiness not UP within 90s");
        deploy(at(5, 1, 31), a, "failed", "env=prod", "image=" + imgA, "from_color=blue", "to_color=green", "user=jenkins",
                "step=health_check", "duration_ms=91000", "result=failed", "message=live color blue untouched");
        String b = "prod-20261120115800-4242";
        String imgB = "switchyard:1.0.2-abc1234";
        deploy(at(11, 58, 0), b, "start", "env=prod", "image=" + imgB, "from_color=blue", "to_color=green", "user=jenkins");
        deploy(at(11, 58, 30), b, "step", "env=prod", "image=" + imgB, "from_color=blue", "to_color=green", "user=jenkins",
                "step=health_check", "duration_ms=30000", "result=ok");
        deploy(at(11, 59, 0), b, "step", "env=prod", "image=" + imgB, "from_color=blue", "to_color=green", "user=jenkins",
                "step=smoke_test", "duration_ms=2500", "result=ok");
        deploy(at(12, 0, 0), b, "switched", "env=prod", "image=" + imgB, "from_color=blue", "to_color=green", "user=jenkins",
                "step=switch", "duration_ms=180", "result=ok");
        deploy(at(12, 0, 30), b, "succeeded", "env=prod", "image=" + imgB, "from_color=blue", "to_color=green", "user=jenkins",
                "duration_ms=150000", "result=ok");
        String c = "dev-20261120150000-5150";
        String imgC = "switchyard:1.1.0-def5678";
        deploy(at(15, 0, 0), c, "start", "env=dev", "image=" + imgC, "from_color=green", "to_color=blue", "user=alice");
        deploy(at(15, 2, 0), c, "switched", "env=dev", "image=" + imgC, "from_color=green", "to_color=blue", "user=alice",
                "step=switch", "duration_ms=170", "result=ok");
        deploy(at(15, 10, 0), c, "rolled_back", "env=dev", "image=" + imgC, "from_color=blue", "to_color=green",
                "user=alice", "result=ok", "message=5xx after switch, rolled back to green");
    }

    /** Runs emit_deploy_event for every sample deploy call and stamps the sample times on the result. */
    List<ObjectNode> deployEvents() {
        List<JsonNode> emitted = DeployEvents.emit(deployCalls);
        if (emitted.size() != deployCalls.size()) {
            throw new AssertionError("expected " + deployCalls.size() + " events, got " + emitted.size());
        }
        List<ObjectNode> out = new ArrayList<>();
        for (int i = 0; i < emitted.size(); i++) {
            ObjectNode e = (ObjectNode) emitted.get(i).deepCopy();
            e.put("@timestamp", deployTimes.get(i).toString());
            out.add(e);
        }
        return out;
    }
}
