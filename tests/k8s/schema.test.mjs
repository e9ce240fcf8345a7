// Every rendered object against the Kubernetes and Argo Rollouts schemas (lib/schemas.mjs), and negative
// controls: the same objects with one misspelled field or one wrong type must be refused, by name.
import test from "node:test";
import assert from "node:assert/strict";
import { loadOverlay, OVERLAYS, describe, one } from "./lib/rendered.mjs";
import { runtimeError, typeErrors } from "./lib/schemas.mjs";

const rendered = new Map(OVERLAYS.map((env) => [env, loadOverlay(env)]));

/** Mistakes in the prod render the validation must catch: [label, kind, name, mutate, what the error names]. */
const MISTAKES = [
  ["misspelled blueGreen field", "Rollout", "switchyard",
    (o) => { o.spec.strategy.blueGreen.activeServise = "x"; }, "activeServise"],
  ["replicas as a string", "Rollout", "switchyard", (o) => { o.spec.replicas = "3"; }, "replicas"],
  ["misspelled container field", "Rollout", "switchyard",
    (o) => { o.spec.template.spec.containers[0].imagePullPolicyy = "Always"; }, "imagePullPolicyy"],
  ["probe port as an object", "Rollout", "switchyard",
    (o) => { o.spec.template.spec.containers[0].readinessProbe.httpGet.port = { name: "http" }; }, "port"],
  ["misspelled web metric field", "AnalysisTemplate", "switchyard-bake",
    (o) => { o.spec.metrics[0].provider.web.jsonPat = o.spec.metrics[0].provider.web.jsonPath; }, "jsonPat"],
  ["count as a boolean", "AnalysisTemplate", "switchyard-bake", (o) => { o.spec.metrics[1].count = true; }, "count"],
  ["misspelled Job field", "AnalysisTemplate", "switchyard-smoke",
    (o) => { o.spec.metrics[0].provider.job.spec.backoffLimitt = 0; }, "backoffLimitt"],
  ["misspelled Ingress path field", "Ingress", "switchyard-ws",
    (o) => { o.spec.rules[0].http.paths[0].pathTyp = "Prefix"; }, "pathTyp"],
  ["Service port as a string", "Service", "switchyard-active", (o) => { o.spec.ports[0].port = "80"; }, "port"],
  ["PDB budget as a boolean", "PodDisruptionBudget", "switchyard",
    (o) => { o.spec.maxUnavailable = true; }, "maxUnavailable"],
];

// One TypeScript program for the rendered objects and the mistakes (type-checking is the slow part).
const objects = new Map();
for (const [env, list] of rendered) {
  for (const o of list ?? []) {
    objects.set(`${env}-${o.kind}-${o.metadata.name}`, o);
  }
}
const mistakes = new Map();
for (const [label, kind, name, mutate] of MISTAKES) {
  const copy = structuredClone(one(rendered.get("prod") ?? [], kind, name));
  mutate(copy);
  mistakes.set(`mistake-${label}`, copy);
}
const types = typeErrors(new Map([...objects, ...mistakes]));

test("every overlay rendered", () => {
  for (const [env, list] of rendered) {
    assert.ok(list && list.length > 0, `overlays/${env} has no rendered objects`);
  }
});

test("every object of every overlay matches its schema exactly", async () => {
  for (const [name, o] of objects) {
    const error = await runtimeError(o);
    assert.equal(error, null, `${name} (${describe(o)}): ${error}`);
    assert.deepEqual(types.get(name), [], `${name} (${describe(o)}): type errors`);
  }
  console.log(`schema: ${objects.size} objects valid (` +
    `${[...new Set([...objects.values()].map((o) => o.kind))].sort().join(", ")})`);
});

test("a misspelled field or a wrong type is refused, by name (negative controls)", async () => {
  let byRuntime = 0;
  for (const [label, , , , named] of MISTAKES) {
    const runtime = await runtimeError(mistakes.get(`mistake-${label}`));
    byRuntime += runtime ? 1 : 0;
    const messages = [runtime, ...types.get(`mistake-${label}`)].filter(Boolean);
    assert.ok(messages.length > 0, `${label}: accepted`);
    assert.ok(messages.some((m) => m.includes(named)), `${label}: refused without naming ${named}: ${messages}`);
  }
  console.log(`negative controls: ${MISTAKES.length} mistakes refused (${byRuntime} also by the runtime validator)`);
});
