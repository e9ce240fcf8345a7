package io.switchyard.elk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchyard.elk.ArgoAnalysis.Phase;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ArgoAnalysis's own rules, against the cases Argo Rollouts' sources define (RolloutAnalysisIT uses them). */
class ArgoAnalysisTest {

    private static JsonNode json(String text) {
        // ' for ", ` for ' (so that JSON strings can hold single quotes)
        return Repo.parse(text.replace('\'', '"').replace('`', '\''));
    }

    @Test
    void bothConditionsDecideAndNeitherTrueIsInconclusive() {
        JsonNode metric = json("{'successCondition': 'result >= 0 && result <= 0.01', 'failureCondition': 'result > 0.01'}");
        assertEquals(Phase.SUCCESSFUL, ArgoAnalysis.verdict(metric, 0.005, "0.005").phase());
        assertEquals(Phase.SUCCESSFUL, ArgoAnalysis.verdict(metric, 0.01, "0.01").phase());
        assertEquals(Phase.FAILED, ArgoAnalysis.verdict(metric, 0.0101, "0.0101").phase());
        assertEquals(Phase.INCONCLUSIVE, ArgoAnalysis.verdict(metric, -1.0, "-1").phase());
    }

    @Test
    void oneConditionAloneMakesTheOtherItsNegation() {
        JsonNode success = Repo.parse("""
                {"successCondition": "result == \\"ok\\""}""");
        assertEquals(Phase.SUCCESSFUL, ArgoAnalysis.verdict(success, "ok", "ok").phase());
        assertEquals(Phase.FAILED, ArgoAnalysis.verdict(success, "nope", "nope").phase());
        JsonNode failure = json("{'failureCondition': 'result > 3'}");
        assertEquals(Phase.SUCCESSFUL, ArgoAnalysis.verdict(failure, 3.0, "3").phase());
        assertEquals(Phase.FAILED, ArgoAnalysis.verdict(failure, 4.0, "4").phase());
        assertEquals(Phase.SUCCESSFUL, ArgoAnalysis.verdict(json("{}"), 99.0, "99").phase(), "no conditions");
    }

    @Test
    void orBindsLooserThanAnd() {
        assertTrue(ArgoAnalysis.condition("result < 0 || result > 1 && result < 2", -5.0));
        assertTrue(ArgoAnalysis.condition("result < 0 || result > 1 && result < 2", 1.5));
        assertFalse(ArgoAnalysis.condition("result < 0 || result > 1 && result < 2", 3.0));
    }

    @Test
    void comparingANumberWithAStringIsAnErrorAsInExpr() {
        JsonNode metric = json("{'successCondition': 'result < 1'}");
        assertEquals(Phase.ERROR, ArgoAnalysis.verdict(metric, "0.5", "\"0.5\"").phase());
        assertFalse(ArgoAnalysis.condition("result == 1", "1"), "== across types is false");
        assertTrue(ArgoAnalysis.condition("result != 1", "1"));
    }

    @Test
    void whatItCannotEvaluateFailsTheTestInsteadOfGuessing() {
        assertThrows(AssertionError.class, () -> ArgoAnalysis.condition("len(result) > 0", 1.0));
        assertThrows(AssertionError.class, () -> ArgoAnalysis.condition("(result > 0)", 1.0));
        assertThrows(AssertionError.class, () -> ArgoAnalysis.jsonPath(json("{'a': [1]}"), "{$.a[0]}"));
        assertThrows(AssertionError.class, () -> ArgoAnalysis.jsonPath(json("{'a': [1]}"), "{$.a[*]}"));
    }

    @Test
    void jsonPathFollowsFieldsAndMissesCleanly() {
        JsonNode data = json("{'aggregations': {'release': {'buckets': {'all': {'ratio': {'value': 0.25}}}}}}");
        assertEquals(0.25, ArgoAnalysis.jsonPath(data, "{$.aggregations.release.buckets.all.ratio.value}").asDouble());
        assertEquals(0.25, ArgoAnalysis.jsonPath(data, "{.aggregations.release.buckets.all.ratio.value}").asDouble());
        assertNull(ArgoAnalysis.jsonPath(data, "{$.aggregations.release.buckets.all.p95.value}"));
        assertEquals(data, ArgoAnalysis.jsonPath(data, "{$}"));
    }

    @Test
    void argumentsAreSubstitutedJsonEscapedAndMustAllResolve() {
        JsonNode metric = json("{'name': 'm', 'successCondition': 'result <= {{args.max}}', "
                + "'provider': {'web': {'url': '{{ args.url }}/x', 'jsonBody': {'q': '{{args.text}}'}}}}");
        JsonNode resolved = ArgoAnalysis.resolve(metric, Map.of("max", "0.01", "url", "http://es:9200",
                "text", "a \"quoted\" \\ value"));
        assertEquals("result <= 0.01", resolved.path("successCondition").asText());
        assertEquals("http://es:9200/x", resolved.path("provider").path("web").path("url").asText());
        assertEquals("a \"quoted\" \\ value", resolved.path("provider").path("web").path("jsonBody").path("q").asText());
        assertThrows(AssertionError.class, () -> ArgoAnalysis.resolve(metric, Map.of("max", "1")));
    }

    @Test
    void theRolloutsArgsOverTheTemplatesDefaultsWithHashesFieldRefsAndSecrets() {
        JsonNode rollout = json("{'metadata': {'namespace': 'switchyard-prod', 'labels': {'team': 'chat'}}, "
                + "'spec': {'template': {'spec': {'containers': [{'image': 'r/switchyard:1.2.3-abc'}]}}}}");
        JsonNode analysis = json("{'args': [{'name': 'new', 'valueFrom': {'podTemplateHashValue': 'Latest'}}, "
                + "{'name': 'image', 'valueFrom': {'fieldRef': {'fieldPath': 'spec.template.spec.containers[0].image'}}}, "
                + "{'name': 'ns', 'valueFrom': {'fieldRef': {'fieldPath': 'metadata.namespace'}}}, "
                + "{'name': 'team', 'valueFrom': {'fieldRef': {'fieldPath': 'metadata.labels[`team`]'}}}, "
                + "{'name': 'max', 'value': '0.05'}]}");
        JsonNode template = json("{'metadata': {'name': 't'}, 'spec': {'args': [{'name': 'new'}, {'name': 'image'}, "
                + "{'name': 'ns'}, {'name': 'team'}, {'name': 'max', 'value': '0.01'}, {'name': 'window', 'value': '2m'}, "
                + "{'name': 'key', 'valueFrom': {'secretKeyRef': {'name': 's', 'key': 'k'}}}]}}");
        String encoded = Base64.getEncoder().encodeToString("secret".getBytes(StandardCharsets.UTF_8));
        Map<String, JsonNode> secrets = Map.of("s", json("{'data': {'k': '" + encoded + "'}}"));

        Map<String, String> args = ArgoAnalysis.arguments(rollout, analysis, template,
                Map.of("Latest", "abc123", "Stable", "def456"), secrets, Map.of());

        assertEquals(Map.of("new", "abc123", "image", "r/switchyard:1.2.3-abc", "ns", "switchyard-prod",
                "team", "chat", "max", "0.05", "window", "2m", "key", "secret"), args);
        JsonNode withoutDefault = json("{'metadata': {'name': 't'}, 'spec': {'args': [{'name': 'needed'}]}}");
        assertThrows(AssertionError.class, () -> ArgoAnalysis.arguments(rollout, json("{}"), withoutDefault,
                Map.of(), secrets, Map.of()), "argument not supplied");
        assertThrows(AssertionError.class, () -> ArgoAnalysis.arguments(rollout, analysis, withoutDefault,
                Map.of("Latest", "x"), secrets, Map.of()), "the Rollout passes args the template does not declare");
    }

    @Test
    void theKubeletExpandsDefinedVariablesOnly() {
        Map<String, String> env = Map.of("A", "1", "URL", "http://x");
        assertEquals("a=1 b=$(B)", ArgoAnalysis.expand("a=$(A) b=$(B)", env));
        assertEquals("literal $(A)", ArgoAnalysis.expand("literal $$(A)", env));
        assertEquals("x=\"$(curl -s \"${URL}\")\"", ArgoAnalysis.expand("x=\"$(curl -s \"${URL}\")\"", env));
        assertEquals("cost $5", ArgoAnalysis.expand("cost $5", env));
    }
}
