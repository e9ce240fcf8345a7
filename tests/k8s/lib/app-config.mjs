// What the app and the VM kit say, read from their own files, for the policy checks to hold the manifests to.
import { parseYamlDocuments, repoFile } from "./rendered.mjs";

/** src/main/resources/application.yml as Spring reads it (placeholders left as text). */
export function applicationYaml() {
  return parseYamlDocuments(repoFile("src", "main", "resources", "application.yml"), "application.yml")[0];
}

/** The default of a `${NAME:default}` placeholder, e.g. SHUTDOWN_TIMEOUT -> "20s". */
export function placeholderDefault(value, name) {
  const match = String(value).match(new RegExp(`^\\$\\{${name}:([^}]*)\\}$`));
  if (!match) {
    throw new Error(`expected \${${name}:default}, found ${value}`);
  }
  return match[1];
}

/** The environment variables RequiredProdSettings refuses to start without (its REQUIRED list). */
export function requiredProdVariables() {
  const source = repoFile("src", "main", "java", "io", "switchyard", "support", "config", "RequiredProdSettings.java");
  const list = source.match(/REQUIRED\s*=\s*List\.of\(([^)]*)\)/);
  if (!list) {
    throw new Error("RequiredProdSettings.REQUIRED not found");
  }
  return [...list[1].matchAll(/"([A-Z0-9_]+)"/g)].map((m) => m[1]);
}

/** Variables that together stand in for a required one (RequiredProdSettings.ALTERNATIVES). */
export function requiredProdAlternatives() {
  const source = repoFile("src", "main", "java", "io", "switchyard", "support", "config", "RedisSentinelSettings.java");
  const names = source.match(/REQUIRED\s*=\s*List\.of\(MASTER,\s*NODES\)/)
    ? [constant(source, "MASTER"), constant(source, "NODES")]
    : null;
  if (!names) {
    throw new Error("RedisSentinelSettings.REQUIRED is no longer List.of(MASTER, NODES): update this check");
  }
  return { REDIS_HOST: names };
}

function constant(source, name) {
  const m = source.match(new RegExp(`static final String ${name} = "([A-Z0-9_]+)"`));
  if (!m) {
    throw new Error(`RedisSentinelSettings.${name} not found`);
  }
  return m[1];
}

/** `: "${NAME:=value}"` from a scripts/env/*.env file. */
export function kitSetting(file, name) {
  const m = repoFile("scripts", "env", file).match(new RegExp(`\\$\\{${name}:=([^}]*)\\}`));
  if (!m) {
    throw new Error(`${name} not in scripts/env/${file}`);
  }
  return m[1];
}

/** Seconds of a Go/Spring style duration: 90, "90s", "2m", "1h", "500ms". */
export function seconds(value) {
  const m = String(value).trim().match(/^(\d+(?:\.\d+)?)(ms|s|m|h)?$/);
  if (!m) {
    throw new Error(`not a duration: ${value}`);
  }
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? "s"];
  return Number(m[1]) * factor;
}

/** [key, nginx variable] pairs of a JSON access-log format string, in order. */
export function logFormatFields(format) {
  return [...format.matchAll(/"([a-z_]+)":"?(\$[a-z_]+)"?/g)].map((m) => [m[1], m[2]]);
}

/** The VM kit's log_format switchyard_json (nginx/conf.d/switchyard-common.conf), joined into one string. */
export function vmLogFormat() {
  const conf = repoFile("nginx", "conf.d", "switchyard-common.conf");
  const block = conf.match(/log_format switchyard_json escape=json([\s\S]*?);/);
  if (!block) {
    throw new Error("log_format switchyard_json not found");
  }
  return [...block[1].matchAll(/'([^']*)'/g)].map((m) => m[1]).join("");
}
