// Policy checks on every rendered overlay: what the schema cannot say. Each check reads the app's or the VM
// kit's own files for what the manifests must agree with (actuator paths, shutdown timeout, required
// settings, rollback window, access-log fields), so a change on either side that breaks the other fails here.
import test from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { parse as parseYaml } from "yaml";
import { all, describe, loadOverlay, one, OVERLAYS, REPO_ROOT, repoFile } from "./lib/rendered.mjs";
import {
  applicationYaml, kitSetting, logFormatFields, placeholderDefault, requiredProdAlternatives,
  requiredProdVariables, seconds, vmLogFormat,
} from "./lib/app-config.mjs";

const APP = "switchyard";
const HASH_LABEL = "rollouts-pod-template-hash";

/** Every pod spec an overlay would run: the Rollout's and each Job analysis's. */
function podSpecs(objects) {
  const specs = [{ where: "Rollout switchyard", spec: one(objects, "Rollout", APP).spec.template.spec }];
  for (const t of all(objects, "AnalysisTemplate")) {
    for (const m of t.spec.metrics) {
      if (m.provider.job) {
        specs.push({ where: `${describe(t)} metric ${m.name}`, spec: m.provider.job.spec.template.spec });
      }
    }
  }
  return specs;
}

function appContainer(objects) {
  return one(objects, "Rollout", APP).spec.template.spec.containers.find((c) => c.name === APP);
}

function config(objects) {
  return one(objects, "ConfigMap").data;
}

function matches(selector, labels) {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Seconds a metric can run: the first measurement after initialDelay, then count of them, interval apart. */
function metricSeconds(metric) {
  return seconds(metric.initialDelay ?? 0) + seconds(metric.interval ?? 0) * (metric.count ?? 1);
}

function preStopSeconds(container) {
  const hook = container.lifecycle?.preStop;
  if (hook?.sleep) {
    return hook.sleep.seconds;
  }
  const command = hook?.exec?.command ?? [];
  assert.equal(command[0], "sleep", `preStop must be a pause, found ${JSON.stringify(hook)}`);
  return seconds(command[1]);
}

for (const env of OVERLAYS) {
  const objects = loadOverlay(env);
  const rollout = one(objects, "Rollout", APP);
  const bg = rollout.spec.strategy.blueGreen;
  const template = rollout.spec.template;
  const container = appContainer(objects);

  test(`${env}: a blue-green Rollout with preview, both analyses and the rollback window`, () => {
    assert.deepEqual(Object.keys(rollout.spec.strategy), ["blueGreen"]);
    for (const name of [bg.activeService, bg.previewService]) {
      const service = one(objects, "Service", name);
      assert.ok(matches(service.spec.selector, template.metadata.labels), `${name} selects the Rollout's pods`);
    }
    assert.notEqual(bg.activeService, bg.previewService);
    assert.equal(bg.autoPromotionEnabled, env !== "prod", "prod waits for a promote; dev promotes by itself");
    for (const phase of ["prePromotionAnalysis", "postPromotionAnalysis"]) {
      const analysis = bg[phase];
      assert.ok(analysis?.templates?.length > 0, `${phase} set`);
      const supplied = new Set((analysis.args ?? []).map((a) => a.name));
      const declared = new Set();
      for (const { templateName } of analysis.templates) {
        const t = one(objects, "AnalysisTemplate", templateName);
        for (const arg of t.spec.args ?? []) {
          declared.add(arg.name);
          if (arg.value === undefined && arg.valueFrom === undefined) {
            assert.ok(supplied.has(arg.name), `${phase}: ${templateName} needs arg ${arg.name}`);
          }
        }
      }
      for (const name of supplied) {
        assert.ok(declared.has(name), `${phase} passes arg ${name}, which no template declares`);
      }
    }
    // Argo cancels a post-promotion analysis still running when the old ReplicaSet is scaled down.
    const bake = one(objects, "AnalysisTemplate", bg.postPromotionAnalysis.templates[0].templateName);
    const longest = Math.max(...bake.spec.metrics.map(metricSeconds));
    assert.ok(bg.scaleDownDelaySeconds > longest,
      `scaleDownDelaySeconds ${bg.scaleDownDelaySeconds} must outlast the bake (${longest} s)`);
    assert.ok(bg.scaleDownDelaySeconds >= 30, "at least 30 s for endpoint changes to reach every node");
    if (env === "prod") {
      assert.equal(bg.scaleDownDelaySeconds, Number(kitSetting("prod.env", "ROLLBACK_WINDOW_S")),
        "prod's rollback window is the VM kit's");
    }
    console.log(`${env}: rollback window ${bg.scaleDownDelaySeconds} s, bake ${longest} s, ` +
      `autoPromotionEnabled ${bg.autoPromotionEnabled}, ${rollout.spec.replicas} replicas`);
  });

  test(`${env}: probes on the app's actuator health groups, on the app's port`, () => {
    const app = applicationYaml();
    const management = app.management;
    assert.equal(management.endpoint.health.probes.enabled, true, "application.yml enables the probe groups");
    assert.ok(management.endpoint.health.group.liveness && management.endpoint.health.group.readiness);
    assert.match(management.endpoints.web.exposure.include, /\bhealth\b/);
    assert.equal(management.endpoints.web["base-path"] ?? "/actuator", "/actuator");
    assert.equal(management.server?.port, undefined, "no separate management port: probes use the app's");
    const expected = {
      startupProbe: "/actuator/health/liveness",
      livenessProbe: "/actuator/health/liveness",
      readinessProbe: "/actuator/health/readiness",
    };
    const serverPort = Number(config(objects).SERVER_PORT ?? placeholderDefault(app.server.port, "SERVER_PORT"));
    for (const [probe, path] of Object.entries(expected)) {
      const get = container[probe]?.httpGet;
      assert.equal(get?.path, path, `${probe} path`);
      const port = typeof get.port === "number" ? get.port
        : container.ports.find((p) => p.name === get.port)?.containerPort;
      assert.equal(port, serverPort, `${probe} port ${get.port} is the app's SERVER_PORT`);
    }
  });

  test(`${env}: the grace period covers the preStop pause, the chat drain and SHUTDOWN_TIMEOUT`, () => {
    const app = applicationYaml();
    const data = config(objects);
    const shutdown = seconds(data.SHUTDOWN_TIMEOUT
      ?? placeholderDefault(app.spring.lifecycle["timeout-per-shutdown-phase"], "SHUTDOWN_TIMEOUT"));
    // The ConfigMap sets the drain explicitly: the setting must still exist in the app under that name.
    assert.ok(data.SWITCHYARD_CHAT_DRAIN_TIMEOUT, "SWITCHYARD_CHAT_DRAIN_TIMEOUT set");
    const chat = repoFile("src", "main", "java", "io", "switchyard", "chat", "ChatProperties.java");
    assert.match(chat, /@ConfigurationProperties\("switchyard\.chat"\)/);
    assert.match(chat, /\bDuration drainTimeout\b/, "switchyard.chat.drain-timeout still exists");
    const drain = seconds(data.SWITCHYARD_CHAT_DRAIN_TIMEOUT);
    const pause = preStopSeconds(container);
    const grace = template.spec.terminationGracePeriodSeconds;
    assert.ok(pause > 0, "a preStop pause");
    assert.ok(grace > shutdown, `grace ${grace} s > SHUTDOWN_TIMEOUT ${shutdown} s`);
    assert.ok(grace > pause + drain + shutdown,
      `grace ${grace} s > preStop ${pause} + drain ${drain} + shutdown ${shutdown} s`);
    console.log(`${env}: grace ${grace} s > preStop ${pause} + drain ${drain} + SHUTDOWN_TIMEOUT ${shutdown} s`);
  });

  test(`${env}: every pod non-root, read-only, without privilege (Pod Security restricted)`, () => {
    const namespace = one(objects, "Namespace");
    assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    for (const { where, spec } of podSpecs(objects)) {
      const pod = spec.securityContext ?? {};
      assert.ok(!spec.hostNetwork && !spec.hostPID && !spec.hostIPC, `${where}: no host namespaces`);
      assert.ok(!(spec.volumes ?? []).some((v) => v.hostPath), `${where}: no hostPath`);
      assert.equal(spec.automountServiceAccountToken, false, `${where}: no API token`);
      for (const c of spec.containers) {
        const sc = c.securityContext ?? {};
        const at = `${where} container ${c.name}`;
        assert.equal(sc.runAsNonRoot ?? pod.runAsNonRoot, true, `${at}: runAsNonRoot`);
        assert.notEqual(sc.runAsUser ?? pod.runAsUser, 0, `${at}: not uid 0`);
        assert.equal(sc.allowPrivilegeEscalation, false, `${at}: allowPrivilegeEscalation false`);
        assert.notEqual(sc.privileged, true, `${at}: not privileged`);
        assert.equal(sc.readOnlyRootFilesystem, true, `${at}: read-only root filesystem`);
        assert.ok(sc.capabilities?.drop?.includes("ALL"), `${at}: drops all capabilities`);
        assert.deepEqual(sc.capabilities?.add ?? [], [], `${at}: adds none`);
        const seccomp = (sc.seccompProfile ?? pod.seccompProfile)?.type;
        assert.ok(["RuntimeDefault", "Localhost"].includes(seccomp), `${at}: seccomp ${seccomp}`);
      }
    }
    const tmp = container.volumeMounts?.find((m) => m.mountPath === "/tmp");
    assert.ok(tmp, "the app gets a writable /tmp");
    assert.ok(template.spec.volumes.find((v) => v.name === tmp.name)?.emptyDir, "/tmp is an emptyDir");
  });

  test(`${env}: every container has resource requests and limits`, () => {
    for (const { where, spec } of podSpecs(objects)) {
      for (const c of spec.containers) {
        const r = c.resources ?? {};
        for (const key of ["cpu", "memory"]) {
          assert.ok(r.requests?.[key], `${where} ${c.name}: requests.${key}`);
          assert.ok(r.limits?.[key], `${where} ${c.name}: limits.${key}`);
        }
      }
    }
    assert.equal(container.resources.requests.memory, container.resources.limits.memory,
      "the JVM sizes its heap from the limit: request = limit, never evicted for memory");
  });

  test(`${env}: images pinned, the app's to the overlay's release`, () => {
    for (const { where, spec } of podSpecs(objects)) {
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        const [ref, digest] = c.image.split("@");
        const tag = ref.includes(":") && !ref.slice(ref.lastIndexOf(":")).includes("/") ? ref.slice(ref.lastIndexOf(":") + 1) : "";
        assert.ok(digest === undefined || /^sha256:[0-9a-f]{64}$/.test(digest), `${where} ${c.image}: digest`);
        assert.ok((tag !== "" && tag !== "latest") || digest, `${where} ${c.image}: no tag or digest pins it`);
      }
    }
    const kustomization = parseYaml(repoFile("deploy", "k8s", "overlays", env, "kustomization.yaml"));
    const pin = kustomization.images.find((i) => i.name === APP);
    assert.equal(container.image, `${pin.newName}:${pin.newTag}`);
    assert.match(pin.newTag, /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "a tag: the smoke test reads the version from it");
  });

  test(`${env}: settings from the ConfigMap, secrets from the Secret, none in the repository`, () => {
    const refs = container.envFrom.map((e) => e.configMapRef?.name ?? e.secretRef?.name);
    const configMap = one(objects, "ConfigMap", container.envFrom.find((e) => e.configMapRef).configMapRef.name);
    const secret = one(objects, "Secret", container.envFrom.find((e) => e.secretRef).secretRef.name);
    assert.equal(refs.length, 2);
    const keys = new Set([...Object.keys(configMap.data), ...Object.keys(secret.data)]);
    const alternatives = requiredProdAlternatives();
    for (const name of requiredProdVariables()) {
      const ok = keys.has(name) || (alternatives[name] ?? [null]).every((a) => keys.has(a));
      assert.ok(ok, `the prod profile needs ${name}${alternatives[name] ? " or " + alternatives[name] : ""}`);
    }
    assert.equal(configMap.data.SPRING_PROFILES_ACTIVE, "prod");
    for (const key of Object.keys(configMap.data)) {
      assert.doesNotMatch(key, /PASSWORD|SECRET|TOKEN|API_KEY|MONGODB_URI/, `${key} belongs in the Secret`);
    }
    for (const input of ["secrets.env", "analysis.env"]) {
      const example = repoFile("deploy", "k8s", "overlays", env, `${input}.example`);
      for (const line of example.split("\n").filter((l) => l && !l.startsWith("#"))) {
        assert.match(line, /^[A-Za-z0-9_.-]+=$/, `${input}.example holds keys only: ${line}`);
      }
      const path = `deploy/k8s/overlays/${env}/${input}`;
      assert.equal(execFileSync("git", ["check-ignore", path], { cwd: REPO_ROOT, encoding: "utf8" }).trim(), path,
        `${path} is git-ignored`);
    }
    for (const t of all(objects, "AnalysisTemplate")) {
      for (const arg of t.spec.args ?? []) {
        const ref = arg.valueFrom?.secretKeyRef;
        if (ref) {
          assert.ok(ref.key in one(objects, "Secret", ref.name).data, `${describe(t)} arg ${arg.name}: ${ref.name}/${ref.key}`);
          assert.ok(!refs.includes(ref.name), `${arg.name}'s Secret is not the app's`);
        }
      }
      // A credential is the header's whole value from the Secret (scheme included: ApiKey or Basic), so the
      // operator picks the kind and nothing of it is in the repository.
      for (const m of t.spec.metrics) {
        for (const h of m.provider.web?.headers ?? []) {
          if (h.key.toLowerCase() !== "authorization") {
            continue;
          }
          const name = h.value.match(/^\{\{args\.([A-Za-z0-9_-]+)\}\}$/)?.[1];
          assert.ok(name, `${describe(t)} metric ${m.name}: Authorization is one arg, found '${h.value}'`);
          const arg = (t.spec.args ?? []).find((a) => a.name === name);
          assert.ok(arg?.valueFrom?.secretKeyRef, `${describe(t)} metric ${m.name}: arg ${name} comes from a Secret`);
        }
      }
    }
  });

  test(`${env}: APM agent settings and the color from the pod-template hash`, () => {
    const data = config(objects);
    assert.match(data.ELASTIC_APM_SERVER_URL ?? "", /^https?:\/\/[^/]+/, "ELASTIC_APM_SERVER_URL set");
    assert.match(repoFile("docker", "app", "entrypoint.sh"), /ELASTIC_APM_SERVER_URL/,
      "the image attaches the agent when ELASTIC_APM_SERVER_URL is set");
    assert.equal(data.APP_ENV, env);
    assert.ok("ELASTIC_APM_SECRET_TOKEN" in one(objects, "Secret", container.envFrom.find((e) => e.secretRef).secretRef.name).data);
    const color = container.env.find((e) => e.name === "APP_COLOR");
    assert.equal(color?.valueFrom?.fieldRef?.fieldPath, `metadata.labels['${HASH_LABEL}']`);
    // The app validates its color: it must take a hash as Kubernetes writes it (its safe alphabet, <= 10).
    const pattern = repoFile("src", "main", "java", "io", "switchyard", "support", "app", "AppProperties.java")
      .match(/@Pattern\(regexp = "([^"]+)"/)[1];
    for (const hash of ["6d4f8b9c7x", "5c9b8f6d4", "bcdfghjklm", "2456789zxw"]) {
      assert.match(hash, new RegExp(`^(?:${pattern})$`), `AppProperties takes the pod-template hash ${hash}`);
    }
    const bake = one(objects, "AnalysisTemplate", bg.postPromotionAnalysis.templates[0].templateName);
    assert.ok(bake.spec.metrics.every((m) => JSON.stringify(m).includes("app_color")),
      "the bake judges the release by the color the pods report");
    const hashArgs = bg.postPromotionAnalysis.args.filter((a) => a.valueFrom?.podTemplateHashValue);
    assert.deepEqual(hashArgs.map((a) => a.valueFrom.podTemplateHashValue).sort(), ["Latest", "Stable"]);
  });

  test(`${env}: Ingresses for ingress-nginx, TLS from cert-manager, WebSocket timeouts, nothing private exposed`, () => {
    const ingresses = all(objects, "Ingress");
    const issuers = ingresses.filter((i) => i.metadata.annotations?.["cert-manager.io/cluster-issuer"]);
    assert.equal(issuers.length, 1, "one Ingress asks cert-manager for the host's certificate");
    assert.equal(issuers[0].metadata.annotations["cert-manager.io/cluster-issuer"],
      env === "prod" ? "letsencrypt-prod" : "letsencrypt-staging");
    const secretNames = new Set();
    const paths = [];
    for (const ing of ingresses) {
      const a = ing.metadata.annotations ?? {};
      assert.equal(ing.spec.ingressClassName, "nginx");
      assert.equal(a["nginx.ingress.kubernetes.io/ssl-redirect"], "true");
      for (const rule of ing.spec.rules) {
        assert.ok(ing.spec.tls.some((t) => t.hosts.includes(rule.host)), `${describe(ing)}: TLS for ${rule.host}`);
        for (const p of rule.http.paths) {
          paths.push({ ...p, ingress: ing });
          assert.equal(p.backend.service.name, bg.activeService, `${p.path} goes to the active Service`);
          const service = one(objects, "Service", bg.activeService);
          assert.ok(service.spec.ports.some((sp) => sp.name === p.backend.service.port.name));
        }
      }
      ing.spec.tls.forEach((t) => secretNames.add(t.secretName));
    }
    assert.equal(secretNames.size, 1, "every Ingress of the host uses the one certificate");
    const ws = paths.find((p) => p.path === "/ws");
    assert.ok(ws, "/ws routed");
    const wsAnnotations = ws.ingress.metadata.annotations;
    for (const key of ["proxy-read-timeout", "proxy-send-timeout"]) {
      assert.ok(Number(wsAnnotations[`nginx.ingress.kubernetes.io/${key}`]) >= 3600, `/ws ${key} >= 3600 s`);
    }
    const api = paths.find((p) => p.path === "/api");
    assert.ok(api, "/api routed");
    assert.ok(Number(api.ingress.metadata.annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) <= 60);
    for (const p of paths) {
      assert.notEqual(p.path, "/", "no catch-all: /actuator/info and the rest stay private");
      if (p.path.startsWith("/actuator")) {
        assert.equal(p.pathType, "Exact", `${p.path}: exact only`);
        assert.match(p.path, /^\/actuator\/health(\/liveness|\/readiness)?$/);
      }
    }
  });

  test(`${env}: the PDB never blocks a drain; the NetworkPolicy lets in ingress-nginx and the smoke Job`, () => {
    const pdb = one(objects, "PodDisruptionBudget");
    assert.ok(matches(pdb.spec.selector.matchLabels, template.metadata.labels));
    assert.ok(pdb.spec.maxUnavailable >= 1 || pdb.spec.minAvailable < rollout.spec.replicas,
      "a node drain can always evict a pod");
    const policy = one(objects, "NetworkPolicy");
    assert.ok(matches(policy.spec.podSelector.matchLabels, template.metadata.labels));
    const from = policy.spec.ingress.flatMap((r) => r.from);
    assert.ok(from.some((f) => f.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "ingress-nginx"));
    for (const { where, spec } of podSpecs(objects).slice(1)) {
      const job = all(objects, "AnalysisTemplate").flatMap((t) => t.spec.metrics)
        .find((m) => m.provider.job?.spec.template.spec === spec).provider.job.spec.template;
      assert.ok(from.some((f) => f.podSelector && matches(f.podSelector.matchLabels, job.metadata.labels)),
        `${where} may reach the preview pods`);
    }
    const ports = policy.spec.ingress.flatMap((r) => r.ports.map((p) => p.port));
    assert.ok(ports.every((p) => container.ports.some((cp) => cp.name === p)), "policy ports are the app's");
  });

  test(`${env}: every namespaced object in the overlay's namespace`, () => {
    const namespace = one(objects, "Namespace").metadata.name;
    assert.equal(namespace, `switchyard-${env}`);
    for (const o of objects.filter((x) => x.kind !== "Namespace")) {
      assert.equal(o.metadata.namespace, namespace, describe(o));
    }
  });

  test(`${env}: the bake's queries read fields the access-log index template maps`, () => {
    const indexTemplate = JSON.parse(repoFile("elk", "elasticsearch", "index-templates", "switchyard-nginx-access.json"));
    const mapped = new Set(Object.keys(indexTemplate.template.mappings.properties));
    const bake = one(objects, "AnalysisTemplate", bg.postPromotionAnalysis.templates[0].templateName);
    for (const metric of bake.spec.metrics) {
      const web = metric.provider.web;
      const index = web.url.match(/\/([^/?]+)\/_search/)[1];
      assert.ok(indexTemplate.index_patterns.includes(index), `${metric.name} searches ${index}`);
      const fields = new Set();
      JSON.stringify(web.jsonBody, (key, value) => {
        if (["term", "range", "exists"].includes(key)) {
          Object.keys(value).filter((k) => k !== "field").forEach((k) => fields.add(k));
          if (value.field) fields.add(value.field);
        }
        if (key === "percentiles") fields.add(value.field);
        return value;
      });
      assert.ok(fields.size > 0);
      for (const field of fields) {
        assert.ok(mapped.has(field), `${metric.name}: ${field} is mapped in switchyard-nginx-access`);
      }
    }
  });
}

test("the ingress-nginx access log has the VM nginx's fields (cluster/ingress-nginx-values.yaml)", () => {
  const values = parseYaml(repoFile("deploy", "k8s", "cluster", "ingress-nginx-values.yaml"));
  assert.equal(values.controller.config["log-format-escape-json"], "true");
  const k8s = logFormatFields(values.controller.config["log-format-upstream"]);
  const vm = logFormatFields(vmLogFormat());
  assert.deepEqual(k8s.map(([key]) => key), vm.map(([key]) => key), "same keys, same order");
  const differences = k8s.filter(([key, variable], i) => variable !== vm[i][1]).map(([key]) => key);
  // uri: the path without its query (a query can carry a token), as $uri, where the VM maps $request_uri.
  // upstream_color: ingress-nginx has no port-to-color map; it records the Service it routed to
  // ($proxy_upstream_name: active or preview), also on its own 502/504.
  assert.deepEqual(differences, ["uri", "upstream_color", "env", "request_id"],
    "only uri ($uri), upstream_color ($proxy_upstream_name), env ($namespace) and request_id ($req_id) differ");
});
