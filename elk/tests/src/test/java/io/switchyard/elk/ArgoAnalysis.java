package io.switchyard.elk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One measurement of an Argo Rollouts analysis metric, done the way the Argo Rollouts controller does it, for
 * the metrics of deploy/k8s (no cluster can run here, Argo's Go code cannot run in this JVM). Followed from
 * Argo's sources: arguments (utils/analysis/factory.go: the Rollout's args over the template's defaults,
 * pod-template hashes, fieldRef paths into the Rollout, secretKeyRef), their substitution into the metric's JSON
 * (utils/template: {{args.name}}, JSON-escaped), the web provider (metricproviders/webmetric: method, body or
 * jsonBody with its content type, headers, timeout, non-2xx is an error, JSON path over the parsed body, a body
 * that is not JSON is the result as a string) and the verdict (utils/evaluate.EvaluateResult: success and
 * failure conditions, neither true is inconclusive). A Job metric runs its container's command here with the
 * container's env, after the kubelet's $(VAR) expansion, and passes when it exits 0.
 *
 * <p>Two limits, each failing the test rather than guessing: JSON paths may only name fields ({$.a.b}), and
 * conditions are comparisons of {@code result} with a number or a quoted string, joined by && and ||. A template
 * that needs more of client-go's JSONPath or of Argo's expression language fails here until this class learns it.
 */
final class ArgoAnalysis {

    enum Phase { SUCCESSFUL, FAILED, INCONCLUSIVE, ERROR }

    record Measurement(Phase phase, String value, String message) {
    }

    private static final Pattern ARG = Pattern.compile("\\{\\{([^}]*)}}");
    private static final Pattern FIELD_PATH = Pattern.compile("^\\{\\$?((?:\\.[A-Za-z0-9_-]+)+)}$");
    private static final Pattern COMPARISON = Pattern.compile(
            "^\\s*(result|-?\\d+(?:\\.\\d+)?|\"[^\"]*\")\\s*(==|!=|<=|>=|<|>)\\s*(result|-?\\d+(?:\\.\\d+)?|\"[^\"]*\")\\s*$");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * The arguments an AnalysisRun of {@code template} gets from {@code rolloutAnalysis} (a Rollout's
     * pre/postPromotionAnalysis): Rollout values over template defaults, as Argo resolves them.
     *
     * @param hashes    {"Latest": ..., "Stable": ...}: the ReplicaSets' pod-template hashes
     * @param secrets   the rendered Secrets by name (data base64, as kustomize writes them)
     * @param overrides values only a cluster gives (Service DNS names): replace what the Rollout or template says
     */
    static Map<String, String> arguments(JsonNode rollout, JsonNode rolloutAnalysis, JsonNode template,
            Map<String, String> hashes, Map<String, JsonNode> secrets, Map<String, String> overrides) {
        Map<String, String> fromRollout = new LinkedHashMap<>();
        for (JsonNode arg : rolloutAnalysis.path("args")) {
            JsonNode from = arg.path("valueFrom");
            String value;
            if (from.has("podTemplateHashValue")) {
                value = hashes.get(from.path("podTemplateHashValue").asText());
            } else if (from.has("fieldRef")) {
                value = fieldOfRollout(rollout, from.path("fieldRef").path("fieldPath").asText());
            } else {
                value = arg.path("value").asText(null);
            }
            fromRollout.put(arg.path("name").asText(), value);
        }
        Map<String, String> args = new LinkedHashMap<>();
        for (JsonNode arg : template.path("spec").path("args")) {
            String name = arg.path("name").asText();
            String value = fromRollout.containsKey(name) ? fromRollout.get(name) : arg.path("value").asText(null);
            JsonNode secretRef = arg.path("valueFrom").path("secretKeyRef");
            if (!secretRef.isMissingNode()) {
                JsonNode secret = secrets.get(secretRef.path("name").asText());
                if (secret == null || !secret.path("data").has(secretRef.path("key").asText())) {
                    throw new AssertionError("arg " + name + ": no Secret " + secretRef);
                }
                value = new String(Base64.getDecoder().decode(secret.path("data").path(secretRef.path("key").asText())
                        .asText()), StandardCharsets.UTF_8);
            }
            args.put(name, overrides.getOrDefault(name, value));
        }
        for (String name : fromRollout.keySet()) {
            if (!args.containsKey(name)) {
                throw new AssertionError("the Rollout passes arg " + name + ", which " + template.path("metadata")
                        .path("name").asText() + " does not declare");
            }
        }
        args.forEach((name, value) -> {
            if (value == null) {
                throw new AssertionError("argument \"" + name + "\" was not supplied");
            }
        });
        return args;
    }

    /** fieldRef into the Rollout: metadata.* as Kubernetes' fieldpath, else a dotted/indexed path into the spec. */
    static String fieldOfRollout(JsonNode rollout, String path) {
        Matcher labelOrAnnotation = Pattern.compile("^metadata\\.(labels|annotations)\\['([^']+)']$").matcher(path);
        if (labelOrAnnotation.matches()) {
            return rollout.path("metadata").path(labelOrAnnotation.group(1)).path(labelOrAnnotation.group(2)).asText();
        }
        JsonNode node = rollout;
        for (String section : path.split("[.\\[\\]]+")) {
            if (section.isEmpty()) {
                continue;
            }
            node = node.isArray() ? node.path(Integer.parseInt(section)) : node.path(section);
        }
        if (node.isMissingNode() || node.isContainerNode()) {
            throw new AssertionError("invalid path " + path + " in rollout");
        }
        return node.asText();
    }

    /** The metric with every {{args.name}} replaced by its JSON-escaped value (Argo's ResolveQuotedArgs). */
    static JsonNode resolve(JsonNode metric, Map<String, String> args) {
        Matcher m = ARG.matcher(metric.toString());
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String tag = m.group(1).trim();
            if (!tag.startsWith("args.") || !args.containsKey(tag.substring(5))) {
                throw new AssertionError("failed to resolve {{" + m.group(1) + "}}");
            }
            String quoted = Repo.JSON.getNodeFactory().textNode(args.get(tag.substring(5))).toString();
            m.appendReplacement(out, Matcher.quoteReplacement(quoted.substring(1, quoted.length() - 1)));
        }
        m.appendTail(out);
        return Repo.parse(out.toString());
    }

    /** One measurement of a resolved web metric. */
    Measurement measureWeb(JsonNode metric) throws InterruptedException {
        JsonNode web = metric.path("provider").path("web");
        String method = web.path("method").asText("GET");
        boolean hasBody = web.hasNonNull("body") && !web.path("body").asText().isEmpty();
        boolean hasJsonBody = web.has("jsonBody") && !web.path("jsonBody").isNull();
        if (hasBody && hasJsonBody) {
            return error("use either Body or JSONBody; both cannot exists for WebMetric payload");
        }
        if ((hasBody || hasJsonBody) && method.equals("GET")) {
            return error("Body/JSONBody can only be used with POST or PUT WebMetric Method types");
        }
        HttpRequest.BodyPublisher body = hasJsonBody ? HttpRequest.BodyPublishers.ofString(web.path("jsonBody").toString())
                : hasBody ? HttpRequest.BodyPublishers.ofString(web.path("body").asText())
                : HttpRequest.BodyPublishers.noBody();
        long timeout = web.path("timeoutSeconds").asLong(0) > 0 ? web.path("timeoutSeconds").asLong() : 10;
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(web.path("url").asText()))
                .timeout(Duration.ofSeconds(timeout)).method(method, body);
        for (JsonNode header : web.path("headers")) {
            request.setHeader(header.path("key").asText(), header.path("value").asText());
        }
        if (hasJsonBody) {
            request.setHeader("Content-Type", "application/json");
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return error(e.toString());
        }
        if (response.statusCode() < 200 || response.statusCode() >= 300) {
            return error("received non 2xx response code: " + response.statusCode() + " " + response.body());
        }
        JsonNode parsed;
        try {
            parsed = Repo.JSON.readTree(response.body());
        } catch (IOException notJson) {
            return verdict(metric, response.body(), response.body());
        }
        JsonNode value = jsonPath(parsed, web.path("jsonPath").asText("{$}"));
        if (value == null) {
            return error("Could not find JSONPath in body: " + web.path("jsonPath").asText() + " in " + parsed);
        }
        return verdict(metric, value.isNumber() ? value.asDouble() : value.asText(), value.toString());
    }

    /** Runs a resolved Job metric's container command here; SUCCESSFUL when it exits 0 (backoffLimit 0). */
    Measurement measureJob(JsonNode metric, Path workDir) throws IOException, InterruptedException {
        JsonNode jobSpec = metric.path("provider").path("job").path("spec");
        JsonNode containers = jobSpec.path("template").path("spec").path("containers");
        if (containers.size() != 1 || jobSpec.path("backoffLimit").asInt(6) != 0) {
            throw new AssertionError("only one container and backoffLimit 0 are emulated: " + jobSpec);
        }
        JsonNode container = containers.get(0);
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode e : container.path("env")) {
            if (!e.has("value")) {
                throw new AssertionError("env " + e + ": only plain values are emulated");
            }
            env.put(e.path("name").asText(), expand(e.path("value").asText(), env));
        }
        List<String> cmd = new ArrayList<>();
        container.path("command").forEach(c -> cmd.add(expand(c.asText(), env)));
        container.path("args").forEach(a -> cmd.add(expand(a.asText(), env)));
        Path out = Files.createTempFile(workDir, "job", ".out");
        Path err = Files.createTempFile(workDir, "job", ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().keySet().retainAll(List.of("PATH", "HOME"));
        pb.environment().putAll(env);
        Process process = pb.start();
        long deadline = jobSpec.path("activeDeadlineSeconds").asLong(60);
        if (!process.waitFor(deadline, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return new Measurement(Phase.FAILED, "", "job exceeded activeDeadlineSeconds " + deadline);
        }
        String output = Files.readString(out) + Files.readString(err);
        return new Measurement(process.exitValue() == 0 ? Phase.SUCCESSFUL : Phase.FAILED,
                Integer.toString(process.exitValue()), output.trim());
    }

    /** The kubelet's expansion of command, args and env values: $(NAME) of a defined variable, $$ for $. */
    static String expand(String input, Map<String, String> env) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < input.length(); i++) {
            char c = input.charAt(i);
            if (c == '$' && i + 1 < input.length() && input.charAt(i + 1) == '$') {
                out.append('$');
                i++;
            } else if (c == '$' && i + 1 < input.length() && input.charAt(i + 1) == '(') {
                int close = input.indexOf(')', i + 2);
                String name = close < 0 ? null : input.substring(i + 2, close);
                if (name != null && env.containsKey(name)) {
                    out.append(env.get(name));
                    i = close;
                } else {
                    out.append(c);
                }
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** client-go JSONPath, limited to field access: {$.a.b} or {.a.b}; null when a field is missing. */
    static JsonNode jsonPath(JsonNode data, String path) {
        if (path.equals("{$}")) {
            return data;
        }
        Matcher m = FIELD_PATH.matcher(path);
        if (!m.matches()) {
            throw new AssertionError("jsonPath " + path + " uses more than field access: ArgoAnalysis cannot follow it");
        }
        JsonNode node = data;
        for (String field : m.group(1).substring(1).split("\\.")) {
            node = node.path(field);
            if (node.isMissingNode()) {
                return null;
            }
        }
        return node;
    }

    /** EvaluateResult: both conditions, a missing one the other's negation, neither true inconclusive. */
    static Measurement verdict(JsonNode metric, Object result, String value) {
        String success = metric.path("successCondition").asText("");
        String failure = metric.path("failureCondition").asText("");
        boolean succeeded;
        boolean failed;
        try {
            succeeded = !success.isEmpty() && condition(success, result);
            failed = !failure.isEmpty() && condition(failure, result);
        } catch (IllegalArgumentException e) {
            return new Measurement(Phase.ERROR, value, "could not evaluate: " + e.getMessage());
        }
        if (success.isEmpty() && failure.isEmpty()) {
            return new Measurement(Phase.SUCCESSFUL, value, "no conditions");
        }
        if (!success.isEmpty() && failure.isEmpty()) {
            failed = !succeeded;
        } else if (success.isEmpty()) {
            succeeded = !failed;
        }
        Phase phase = failed ? Phase.FAILED : succeeded ? Phase.SUCCESSFUL : Phase.INCONCLUSIVE;
        return new Measurement(phase, value, "success: " + success + "; failure: " + failure);
    }

    static boolean condition(String expression, Object result) {
        for (String alternative : expression.split("\\|\\|")) {
            boolean all = true;
            for (String comparison : alternative.split("&&")) {
                all &= compare(comparison, result);
            }
            if (all) {
                return true;
            }
        }
        return false;
    }

    private static boolean compare(String comparison, Object result) {
        Matcher m = COMPARISON.matcher(comparison);
        if (!m.matches()) {
            throw new AssertionError("condition part '" + comparison.trim() + "' is more than a comparison of result: "
                    + "ArgoAnalysis cannot evaluate it");
        }
        Object left = operand(m.group(1), result);
        Object right = operand(m.group(3), result);
        String op = m.group(2);
        if (left instanceof Double a && right instanceof Double b) {
            return switch (op) {
                case "==" -> a.doubleValue() == b.doubleValue();
                case "!=" -> a.doubleValue() != b.doubleValue();
                case "<" -> a < b;
                case "<=" -> a <= b;
                case ">" -> a > b;
                default -> a >= b;
            };
        }
        if (op.equals("==") || op.equals("!=")) {
            // expr's == across types is false, not an error
            return left.equals(right) == op.equals("==");
        }
        // expr refuses to order a number against a string: Argo makes that measurement an Error.
        throw new IllegalArgumentException("invalid operation: " + left + " " + op + " " + right);
    }

    private static Object operand(String token, Object result) {
        if (token.equals("result")) {
            return result;
        }
        if (token.startsWith("\"")) {
            return token.substring(1, token.length() - 1);
        }
        return Double.parseDouble(token);
    }

    private static Measurement error(String message) {
        return new Measurement(Phase.ERROR, "", message);
    }

    /** A metric of a template by name (a copy: resolving must not change the rendered object). */
    static ObjectNode metric(JsonNode template, String name) {
        for (JsonNode m : template.path("spec").path("metrics")) {
            if (m.path("name").asText().equals(name)) {
                return m.deepCopy();
            }
        }
        throw new AssertionError("no metric " + name + " in " + template.path("metadata").path("name").asText());
    }
}
