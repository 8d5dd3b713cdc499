import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { KNOBS, readIntKnob } from "../security/bounded-env.js";
import type { GateSpec } from "./schema.js";

export interface DetectOptions {
  /** Where OMK_GATE_TIMEOUT_SECS is read from (default: none, so the built-in default applies). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  onWarning?: ((message: string) => void) | undefined;
}

/** package.json scripts that count as gates, in the order they run. */
const NPM_SCRIPTS = ["test", "lint", "typecheck", "build"] as const;
/** What `npm init` writes; it fails by design, so it is not a test suite. */
const NPM_PLACEHOLDER_TEST = /no test specified/;

/**
 * Guesses gates from the files at the repository root, for projects without .omk/gates.toml.
 * Only reads files; never runs anything. Names are unique across ecosystems so the result can
 * be written out with `renderGatesToml` as is.
 */
export async function detectGates(root: string, options: DetectOptions = {}): Promise<GateSpec[]> {
  const timeoutSecs = readIntKnob(options.env ?? {}, KNOBS.gateTimeoutSecs, options.onWarning);
  const gate = (name: string, command: string, args: string[]): GateSpec => ({
    name,
    command,
    args,
    cwd: ".",
    env: {},
    required: true,
    allowFail: false,
    skip: false,
    timeoutSecs,
  });
  const read = (file: string): Promise<string | undefined> => readText(join(root, file));
  const exists = (file: string): Promise<boolean> => isFile(join(root, file));

  const gates: GateSpec[] = [];

  const scripts = packageScripts(await read("package.json"));
  if (scripts !== undefined) {
    const manager = (await exists("pnpm-lock.yaml")) ? "pnpm" : (await exists("yarn.lock")) ? "yarn" : "npm";
    for (const script of NPM_SCRIPTS) {
      const body = scripts[script];
      if (body === undefined || body.trim() === "") continue;
      if (script === "test" && NPM_PLACEHOLDER_TEST.test(body)) continue;
      gates.push(gate(script, manager, ["run", script]));
    }
  }

  if (await exists("Cargo.toml")) {
    gates.push(gate("cargo-test", "cargo", ["test"]), gate("cargo-build", "cargo", ["build"]));
  }

  if (await exists("go.mod")) {
    gates.push(gate("go-test", "go", ["test", "./..."]), gate("go-vet", "go", ["vet", "./..."]));
  }

  const pyproject = await read("pyproject.toml");
  const isPython = pyproject !== undefined || (await exists("setup.cfg")) || (await exists("pytest.ini"));
  if (isPython) {
    gates.push(gate("pytest", "pytest", []));
    const ruffConfigured =
      (pyproject !== undefined && /^\s*\[tool\.ruff(\.[^\]]*)?\]/m.test(pyproject)) ||
      (await exists("ruff.toml")) ||
      (await exists(".ruff.toml"));
    if (ruffConfigured) gates.push(gate("ruff", "ruff", ["check", "."]));
  }

  for (const makefile of ["GNUmakefile", "makefile", "Makefile"]) {
    const text = await read(makefile);
    if (text === undefined) continue;
    if (hasMakeTarget(text, "test")) gates.push(gate("make-test", "make", ["test"]));
    break;
  }

  return gates;
}

function packageScripts(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined; // a broken package.json is the package manager's error to report, not ours
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const scripts = (parsed as { scripts?: unknown }).scripts;
  if (typeof scripts !== "object" || scripts === null) return {};
  const out: Record<string, string> = {};
  for (const [name, body] of Object.entries(scripts)) if (typeof body === "string") out[name] = body;
  return out;
}

/** `test:` or `test other:` as a rule, not `test := x` (a variable) or `test.o:`. */
function hasMakeTarget(makefile: string, target: string): boolean {
  const rule = new RegExp(`^(?:[^\\s:=#][^:=#]*\\s)?${target}(?:\\s[^:=#]*)?\\s*::?(?!=)`, "m");
  return rule.test(makefile);
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * What defines the detected gates, for gates.toml `protect`: the package.json script entries a gate
 * runs (and the repository files those scripts name), the Makefile a make gate runs. An agent that
 * edits these changes its own judge.
 */
export async function detectProtect(root: string, gates: readonly GateSpec[]): Promise<string[]> {
  const out = new Set<string>();
  const scripts = packageScripts(await readText(join(root, "package.json"))) ?? {};
  for (const g of gates) {
    if (["npm", "pnpm", "yarn"].includes(g.command) && g.args[0] === "run" && g.args[1] !== undefined) {
      const script = g.args[1];
      out.add(`package.json#scripts.${script}`);
      for (const token of (scripts[script] ?? "").split(/[\s"'=]+/)) {
        const file = token.replace(/^\.\//, "");
        if (/^[\w.-][\w./-]*$/.test(file) && !file.includes("..") && (await isFile(join(root, file))))
          out.add(file);
      }
    }
    if (g.command === "make") {
      for (const makefile of ["GNUmakefile", "makefile", "Makefile"]) {
        if (await isFile(join(root, makefile))) {
          out.add(makefile);
          break;
        }
      }
    }
  }
  return [...out];
}
