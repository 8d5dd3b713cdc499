import { readFile } from "node:fs/promises";
import { parse, TomlError } from "smol-toml";
import type { z } from "zod";
import { OmkError } from "../core/errors.js";
import { KNOBS, readIntKnob } from "../security/bounded-env.js";
import { redactText } from "../security/redact.js";
import { type GateSpec, gatesFileSchema, KEY_HINTS } from "./schema.js";
import { locateIssue, type SourcePosition } from "./toml-locate.js";

export interface GatesConfig {
  gates: GateSpec[];
  /** gates.toml `protect`: globs and `file#key` entries an agent's change may not touch. */
  protect: string[];
}

export type LoadedGates =
  | { found: true; path: string; config: GatesConfig }
  /** No gates file: callers fall back to `detectGates`. */
  | { found: false; path: string };

export interface LoadGatesOptions {
  /** Where OMK_GATE_TIMEOUT_SECS is read from (default: none, so the built-in default applies). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  onWarning?: ((message: string) => void) | undefined;
}

/** Problems listed in the message; the rest are in `details.issues`. */
const MAX_LISTED_ISSUES = 5;

export async function loadGatesFile(path: string, options: LoadGatesOptions = {}): Promise<LoadedGates> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { found: false, path };
    throw new OmkError("IO_FAILED", `Cannot read gates file ${path}: ${(error as Error).message}`, {
      hint: "Check that the file is readable by you.",
      cause: error,
    });
  }
  return { found: true, path, config: parseGatesToml(text, path, options) };
}

/** Pure core of `loadGatesFile`: `path` is only used to name the file in errors. */
export function parseGatesToml(text: string, path: string, options: LoadGatesOptions = {}): GatesConfig {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    if (error instanceof TomlError) throw syntaxError(error, path);
    throw error;
  }
  const defaultTimeout = readIntKnob(options.env ?? {}, KNOBS.gateTimeoutSecs, options.onWarning);
  const result = gatesFileSchema(defaultTimeout).safeParse(document);
  if (result.success) return { gates: result.data.gates, protect: result.data.protect };
  throw schemaError(result.error.issues, text, path);
}

function syntaxError(error: TomlError, path: string): OmkError {
  const reason = redactText((error.message.split("\n")[0] ?? "").replace(/^Invalid TOML document:\s*/, ""));
  return new OmkError(
    "CONFIG_INVALID",
    `${path}:${error.line}:${error.column}: TOML syntax error: ${reason}`,
    {
      hint: `Fix the TOML syntax at line ${error.line}, column ${error.column} (strings need quotes, arrays use [ ], one key = value per line).`,
      details: { file: path, line: error.line, column: error.column, excerpt: redactText(error.codeblock) },
    },
  );
}

interface LocatedIssue extends SourcePosition {
  key: string;
  message: string;
  hint: string;
}

const GATE_KEYS = Object.keys(KEY_HINTS).filter((k) => k !== "gates");

function schemaError(issues: readonly z.core.$ZodIssue[], text: string, path: string): OmkError {
  const located = issues.map((issue) => locate(issue, text));
  const first = located[0] as LocatedIssue;
  const lines = located
    .slice(0, MAX_LISTED_ISSUES)
    .map((i) => `${path}:${i.line}:${i.column}: ${i.key}: ${i.message}`);
  if (located.length > MAX_LISTED_ISSUES) lines.push(`(${located.length - MAX_LISTED_ISSUES} more problems)`);
  const hints = [...new Set(located.map((i) => i.hint))];
  return new OmkError("CONFIG_INVALID", `Invalid gates file ${path}:\n${lines.join("\n")}`, {
    hint: hints.join("; "),
    details: { file: path, line: first.line, column: first.column, issues: located },
  });
}

function locate(issue: z.core.$ZodIssue, text: string): LocatedIssue {
  const path: PropertyKey[] = [...issue.path];
  if (issue.code === "unrecognized_keys" && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  const position = locateIssue(text, path);
  return {
    ...position,
    key: describePath(path),
    message: redactText(describeIssue(issue)),
    hint: hintFor(path),
  };
}

function describePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path)
    out += typeof part === "number" ? `[${part}]` : `${out === "" ? "" : "."}${String(part)}`;
  return out === "" ? "(top level)" : out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  }
  if (issue.code === "invalid_type" && issue.message.endsWith("received undefined")) return "missing";
  return issue.message;
}

function hintFor(path: readonly PropertyKey[]): string {
  const [top, index, gateKey] = path;
  if (top === "protect") return KEY_HINTS["protect"] as string;
  if (top !== "gates") return "gates.toml holds `protect` and [[gates]] tables; remove other top-level keys";
  if (typeof index !== "number" || typeof gateKey !== "string") return KEY_HINTS["gates"] as string;
  return KEY_HINTS[gateKey] ?? `known gate keys: ${GATE_KEYS.join(", ")}`;
}
