// The Kubernetes and Argo Rollouts schemas, as the @kubernetes-models packages ship them, applied two ways:
// - runtime: each model's generated validator (types, formats, required fields). It allows unknown fields,
//   as the API server's OpenAPI schemas do.
// - exact: TypeScript's type checker on the object as a literal of the model's interface: an unknown field
//   name (excess property) or a wrong type is an error. The API server would drop such a field silently
//   (or refuse it with strict field validation); either way the setting would not be what the file says.
import { join } from "node:path";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const TESTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The module that models an apiVersion/kind, e.g. kubernetes-models/networking.k8s.io/v1/Ingress. */
export function modelModule(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    throw new Error(`object without apiVersion/kind: ${JSON.stringify({ apiVersion, kind })}`);
  }
  const pkg = apiVersion.startsWith("argoproj.io/") ? "@kubernetes-models/argo-rollouts" : "kubernetes-models";
  return `${pkg}/${apiVersion}/${kind}`;
}

/** The runtime validator's verdict: null when valid, else its message. Throws when no model exists. */
export async function runtimeError(object) {
  const specifier = modelModule(object.apiVersion, object.kind);
  let mod;
  try {
    mod = await import(specifier);
  } catch (e) {
    throw new Error(`no schema for ${object.apiVersion} ${object.kind} (${specifier}): ${e.message}`);
  }
  const Model = mod[object.kind];
  try {
    new Model(object).validate();
    return null;
  } catch (e) {
    return e.message;
  }
}

/**
 * Type-checks every object as `const o: I<Kind> = <object>` in one TypeScript program; returns, per name,
 * the error messages (empty when the object matches its type exactly).
 */
export function typeErrors(objectsByName) {
  const files = new Map();
  for (const [name, object] of objectsByName) {
    const file = join(TESTS_DIR, ".typecheck", `${name.replace(/[^A-Za-z0-9_-]/g, "_")}.ts`);
    const specifier = modelModule(object.apiVersion, object.kind);
    files.set(file, {
      name,
      text: `import type { I${object.kind} } from "${specifier}";\n` +
        `export const o: I${object.kind} = ${JSON.stringify(object, null, 1)};\n`,
    });
  }
  const options = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => files.get(f)?.text ?? readFile(f);
  host.fileExists = (f) => files.has(f) || fileExists(f);
  host.getSourceFile = (f, language, onError) => files.has(f)
    ? ts.createSourceFile(f, files.get(f).text, language, true)
    : getSourceFile(f, language, onError);
  const program = ts.createProgram([...files.keys()], options, host);
  const result = new Map();
  for (const [file, { name }] of files) {
    const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(file));
    result.set(name, diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")));
  }
  return result;
}
