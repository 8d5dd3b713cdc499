import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, TomlError } from "smol-toml";
import type { z } from "zod";
import { OmkError } from "../core/errors.js";
import { locateTablePath } from "../gates/toml-locate.js";
import { redactText } from "../security/redact.js";
import { type ProjectConfig, ProjectConfigSchema } from "./config-schema.js";

/** Problems listed in the message; the rest are in `details.issues`. */
const MAX_LISTED = 5;

/**
 * `.omk/config.toml`; a missing file means defaults. A broken one is a usage error listing every
 * problem as file:line:col, the way gates.toml errors are reported.
 */
export async function loadProjectConfig(root: string): Promise<ProjectConfig> {
  const file = join(root, ".omk", "config.toml");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return ProjectConfigSchema.parse({});
    throw new OmkError("IO_FAILED", `Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseProjectConfig(text, file);
}

/** Pure core of `loadProjectConfig`: `file` only names the file in errors. */
export function parseProjectConfig(text: string, file: string): ProjectConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const reason = redactText((err.message.split("\n")[0] ?? "").replace(/^Invalid TOML document:\s*/, ""));
    throw new OmkError("CONFIG_INVALID", `${file}:${err.line}:${err.column}: TOML syntax error: ${reason}`, {
      hint: "fix the TOML syntax (or delete the file and run `omk init`)",
      details: { file, line: err.line, column: err.column },
    });
  }
  const parsed = ProjectConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => locate(issue, text));
  const lines = issues
    .slice(0, MAX_LISTED)
    .map((i) => `${file}:${i.line}:${i.column}: ${i.key}: ${i.message}`);
  if (issues.length > MAX_LISTED) lines.push(`(${issues.length - MAX_LISTED} more problems)`);
  throw new OmkError(
    "CONFIG_INVALID",
    lines.length === 1 ? lines[0]! : `Invalid ${file}:\n${lines.join("\n")}`,
    {
      hint: "see the comments `omk init` writes in .omk/config.toml for allowed keys and values",
      details: { file, issues },
    },
  );
}

function locate(issue: z.core.$ZodIssue, text: string) {
  const path: PropertyKey[] = [...issue.path];
  if (issue.code === "unrecognized_keys" && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  const message =
    issue.code === "unrecognized_keys"
      ? `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`
      : issue.message;
  return {
    ...locateTablePath(text, path),
    key: path.map(String).join(".") || "(top level)",
    message: redactText(message),
  };
}
