import { z } from "zod";
import { isSafeAgentPath } from "../security/paths.js";

/** Same alphabet as `sanitizeName`, so a gate name is safe in file names, refs and ledger keys. */
const GATE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MIN_TIMEOUT_SECS = 1;
const MAX_TIMEOUT_SECS = 86_400;

/** A gate as the rest of omk sees it (camelCase; the file is snake_case). */
export interface GateSpec {
  name: string;
  /** The executable; never interpreted by a shell. */
  command: string;
  args: string[];
  /** Relative to the worktree root; "." is the root. */
  cwd: string;
  env: Record<string, string>;
  required: boolean;
  allowFail: boolean;
  skip: boolean;
  timeoutSecs: number;
}

/** What to write in a hint for a problem with each key. */
export const KEY_HINTS: Readonly<Record<string, string>> = {
  name: "name must be unique, start with a letter or digit, and use only letters, digits, '.', '_' or '-' (at most 64 characters)",
  command: 'command must be the executable alone (e.g. "npm"); put its arguments in args = ["run", "test"]',
  args: 'args must be an array of strings, e.g. args = ["run", "test"]',
  cwd: 'cwd must be a relative path inside the repository without "..", "~" or a .git component, e.g. "packages/api" (default ".")',
  env: 'env must be a table of string values with shell-style names, e.g. env = { NODE_ENV = "test" }',
  required: "required must be true or false",
  allow_fail: "allow_fail must be true or false",
  skip: "skip must be true or false",
  timeout_secs: `timeout_secs must be an integer between ${MIN_TIMEOUT_SECS} and ${MAX_TIMEOUT_SECS}`,
  gates: "define each gate in its own [[gates]] table with at least name and command",
  protect:
    'protect must be an array of globs or file#key entries, before the first [[gates]], e.g. protect = ["Makefile", "package.json#scripts.test"]',
};

const noNul = (value: string): boolean => !value.includes("\0");

/** Schema for `.omk/gates.toml`; the default timeout comes from OMK_GATE_TIMEOUT_SECS. */
export function gatesFileSchema(defaultTimeoutSecs: number) {
  const gate = z
    .strictObject({
      name: z.string().regex(GATE_NAME_PATTERN, { error: "invalid gate name" }),
      command: z
        .string()
        .min(1, { error: "command is empty" })
        .refine(noNul, { error: "command contains a NUL byte" }),
      args: z.array(z.string().refine(noNul, { error: "argument contains a NUL byte" })).default([]),
      cwd: z
        .string()
        .superRefine((cwd, ctx) => {
          if (cwd === ".") return;
          const verdict = isSafeAgentPath(cwd);
          if (!verdict.ok) ctx.addIssue({ code: "custom", message: verdict.reason });
        })
        .default("."),
      env: z
        .record(
          z.string().regex(ENV_NAME_PATTERN, { error: "invalid environment variable name" }),
          z.string().refine(noNul, { error: "value contains a NUL byte" }),
        )
        .default({}),
      required: z.boolean().default(true),
      allow_fail: z.boolean().default(false),
      skip: z.boolean().default(false),
      timeout_secs: z.int().min(MIN_TIMEOUT_SECS).max(MAX_TIMEOUT_SECS).default(defaultTimeoutSecs),
    })
    .transform(
      (g): GateSpec => ({
        name: g.name,
        command: g.command,
        args: g.args,
        cwd: g.cwd,
        env: g.env,
        required: g.required,
        allowFail: g.allow_fail,
        skip: g.skip,
        timeoutSecs: g.timeout_secs,
      }),
    );

  return z
    .strictObject({
      /** Files (globs) and JSON keys (`file#a.b`) that define the gates: an agent's change to them blocks. */
      protect: z.array(z.string().min(1).refine(noNul, { error: "entry contains a NUL byte" })).default([]),
      gates: z.array(gate).default([]),
    })
    .superRefine((file, ctx) => {
      const seen = new Map<string, number>();
      file.gates.forEach((g, index) => {
        const first = seen.get(g.name);
        if (first === undefined) seen.set(g.name, index);
        else
          ctx.addIssue({
            code: "custom",
            path: ["gates", index, "name"],
            message: `duplicate gate name "${g.name}" (first used by gates[${first}])`,
          });
      });
    });
}
