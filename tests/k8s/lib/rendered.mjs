// The overlays as tests/k8s/run.sh rendered them (K8S_RENDERED_DIR/<env>.yaml), and the repository files the
// checks compare them with.
import { readFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const OVERLAYS = ["dev", "prod"];

export function renderedDir(variable = "K8S_RENDERED_DIR") {
  const dir = process.env[variable];
  if (!dir) {
    throw new Error(`${variable} is not set: run tests/k8s/run.sh, which renders the overlays first`);
  }
  return dir;
}

export function parseYamlDocuments(text, source) {
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length > 0) {
      throw new Error(`${source} document ${i}: ${doc.errors.map((e) => e.message).join("; ")}`);
    }
    return doc.toJS();
  }).filter((o) => o !== null);
}

/** Every object of one rendered overlay; null when that directory has none (a render that did not run). */
export function loadOverlay(env, dir = renderedDir()) {
  const file = join(dir, `${env}.yaml`);
  if (!existsSync(file)) {
    return null;
  }
  return parseYamlDocuments(readFileSync(file, "utf8"), file);
}

export function repoFile(...parts) {
  return readFileSync(join(REPO_ROOT, ...parts), "utf8");
}

/** The one object of a kind (and name), failing clearly when there is none or more than one. */
export function one(objects, kind, name) {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? " " + name : ""}, found ${found.length}`);
  }
  return found[0];
}

export function all(objects, kind) {
  return objects.filter((o) => o.kind === kind);
}

export function describe(o) {
  return `${o.kind}/${o.metadata?.name}`;
}
