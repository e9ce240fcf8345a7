// The overlays mean the same on the oldest kustomize we claim (kubectl's v2.0.3, Debian 12) and on a newer
// one, when tests/k8s/run.sh found one on PATH: the same objects, up to the generated names' content hashes
// (each version hashes differently), the empty maps v2 leaves behind and the line breaks v2 writes into a
// Secret's base64 data past 76 characters (the API server's decoder skips them: the same bytes).
import test from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { loadOverlay, OVERLAYS, renderedDir } from "./lib/rendered.mjs";

const GENERATED = /^(switchyard-(?:config|secrets|analysis))-[a-z0-9]{10}$/;

// base64 with its line breaks dropped; anything else in it fails.
function unwrap(key, value) {
  const joined = value.replace(/\r?\n/g, "");
  assert.match(joined, /^[A-Za-z0-9+/]*={0,2}$/, `Secret data ${key} is base64`);
  return joined;
}

function normalize(objects) {
  const strip = (value) => {
    if (Array.isArray(value)) {
      return value.map(strip);
    }
    if (value && typeof value === "object") {
      const out = {};
      for (const [k, v] of Object.entries(value)) {
        const isEmptyMap = (k === "annotations" || k === "labels") && v && Object.keys(v).length === 0;
        if (!isEmptyMap) {
          out[k] = strip(v);
        }
      }
      return out;
    }
    return typeof value === "string" ? value.replace(GENERATED, "$1") : value;
  };
  const unwrapped = objects.map((o) => o.kind === "Secret" && o.data
    ? { ...o, data: Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, unwrap(k, v)])) }
    : o);
  return unwrapped.map(strip).sort((a, b) =>
    `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}

const newerDir = process.env.K8S_RENDERED_NEWER_DIR;
const newer = newerDir && existsSync(newerDir);

test("a newer kustomize renders the same objects", { skip: newer ? false : "no newer kustomize on this host" }, () => {
  for (const env of OVERLAYS) {
    const oldest = loadOverlay(env, renderedDir());
    const other = loadOverlay(env, newerDir);
    assert.ok(oldest.length > 0);
    assert.deepEqual(normalize(other), normalize(oldest), `overlays/${env}`);
  }
  console.log(`kustomize: ${OVERLAYS.join(", ")} render the same on kubectl's v2.0.3 and the newer one`);
});
