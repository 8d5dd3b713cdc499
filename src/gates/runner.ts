import { realpath } from "node:fs/promises";
import { resolve } from "node:path";
import { OmkError } from "../core/errors.js";
import { defaultSpawner, type Spawner } from "../proc/context.js";
import { truncationMarker } from "../proc/tail-buffer.js";
import type { ParentEnv, ProcResult } from "../proc/types.js";
import { isInside, isSafeAgentPath } from "../security/paths.js";
import { redactText } from "../security/redact.js";
import { EMPTY_SHA256, type GateEvidence, type GateRunResult, type GateStatus, gatesOk } from "./evidence.js";
import type { GateSpec } from "./schema.js";
import { extractTestFailures } from "./test-failures.js";

/** The last `max` bytes of a combined tail, marked (as TailBuffer marks) with all the bytes not kept. */
function lastBytes(text: string, max: number): string {
  const marker = /^\[omk: (\d+) earlier bytes not kept\]\n/.exec(text);
  const body = marker === null ? text : text.slice(marker[0].length);
  const buf = Buffer.from(body, "utf8");
  if (buf.length <= max) return text;
  let start = buf.length - max;
  // Do not start inside a multi-byte character.
  while (start < buf.length && ((buf[start] ?? 0) & 0xc0) === 0x80) start++;
  const dropped = Number(marker?.[1] ?? 0) + start;
  return `${truncationMarker(dropped)}${buf.subarray(start).toString("utf8")}`;
}

const CANCELLED = "cancelled";

export type { GateEvidence, GateRunResult, GateStatus } from "./evidence.js";

/** Size of the combined output tail kept per gate. */
const GATE_TAIL_BYTES = 4 * 1024;
/** How much of the end of a gate's (redacted) output is searched for failing tests; never stored. */
const FAILURE_WINDOW_BYTES = 256 * 1024;

export interface GateRunOptions {
  /** The worktree the gates judge; each gate's cwd is relative to it. */
  root: string;
  /** Run only these gates (in file order); empty or undefined runs all. Unknown names → UNKNOWN_GATE. */
  only?: readonly string[] | undefined;
  parentEnv?: ParentEnv | undefined;
  passThrough?: readonly string[] | undefined;
  signal?: AbortSignal | undefined;
  /** Default: KNOBS.killGraceMs. */
  graceMs?: number | undefined;
  onGateStart?: ((name: string) => void) | undefined;
  onGateResult?: ((evidence: GateEvidence) => void) | undefined;
  /**
   * Redacted output lines, for live progress. The redactor's look-ahead may hold back the last
   * few characters until more output arrives or the gate ends.
   */
  onGateOutput?: ((name: string, stream: "stdout" | "stderr", line: string) => void) | undefined;
  onWarning?: ((message: string) => void) | undefined;
  /** Who starts the gate processes (a run's own process context); default: plain spawning. */
  proc?: Spawner | undefined;
}

/** Runs the gates one after another in file order; failure is evidence, not an exception. */
export async function runGates(gates: readonly GateSpec[], opts: GateRunOptions): Promise<GateRunResult> {
  const selected = selectGates(gates, opts.only);
  const evidence: GateEvidence[] = [];
  let cancelled = false;
  for (const spec of selected) {
    let e: GateEvidence;
    if (cancelled || opts.signal?.aborted === true) {
      cancelled = true;
      e = notRun(spec, "skip", "not run: cancelled");
    } else if (spec.skip) {
      e = notRun(spec, "skip", undefined);
    } else {
      opts.onGateStart?.(spec.name);
      e = await runGate(spec, opts);
      if (e.status === "error" && e.error === CANCELLED) cancelled = true;
    }
    evidence.push(e);
    opts.onGateResult?.(e);
  }
  return { ok: !cancelled && gatesOk(evidence), cancelled, gates: evidence };
}

function selectGates(gates: readonly GateSpec[], only: readonly string[] | undefined): readonly GateSpec[] {
  // An empty list means no filter: a CLI's repeatable --gate defaults to [], and "run nothing,
  // report ok" would be a silent pass.
  if (only === undefined || only.length === 0) return gates;
  const known = gates.map((g) => g.name);
  const unknown = only.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    const list = known.length > 0 ? known.join(", ") : "(none)";
    throw new OmkError(
      "UNKNOWN_GATE",
      `Unknown gate${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}.`,
      {
        hint: `Known gates: ${list}. Check the names in .omk/gates.toml.`,
        details: { unknown, known },
      },
    );
  }
  return gates.filter((g) => only.includes(g.name));
}

async function runGate(spec: GateSpec, opts: GateRunOptions): Promise<GateEvidence> {
  const cwd = await gateCwd(opts.root, spec.cwd);
  if (typeof cwd !== "string") return notRun(spec, "error", cwd.error);
  const onOutput = opts.onGateOutput;
  const result = await (opts.proc ?? defaultSpawner).run([spec.command, ...spec.args], {
    cwd,
    parentEnv: opts.parentEnv,
    passThrough: opts.passThrough,
    explicitEnv: spec.env,
    timeoutMs: spec.timeoutSecs * 1000,
    graceMs: opts.graceMs,
    // Only the combined tail is kept (a longer window only to find failing tests in); counts and
    // hashes still cover everything.
    maxOutputBytes: GATE_TAIL_BYTES,
    combinedTailBytes: FAILURE_WINDOW_BYTES,
    signal: opts.signal,
    onStdoutLine: onOutput && ((line) => onOutput(spec.name, "stdout", line)),
    onStderrLine: onOutput && ((line) => onOutput(spec.name, "stderr", line)),
    onWarning: opts.onWarning,
  });
  const { status, error } = classify(result, spec);
  const window = result.combinedTail ?? "";
  const report = status === "pass" ? null : extractTestFailures(window);
  return {
    ...base(spec),
    status,
    exitCode: result.exitCode,
    signal: result.signal,
    durationMs: result.durationMs,
    stdoutBytes: result.stdoutBytes,
    stderrBytes: result.stderrBytes,
    stdoutSha256: result.stdoutSha256,
    stderrSha256: result.stderrSha256,
    tail: lastBytes(window, GATE_TAIL_BYTES),
    ...(report === null
      ? {}
      : { failures: { format: report.format, total: report.total, tests: report.failures } }),
    ...(error === undefined ? {} : { error }),
  };
}

function classify(result: ProcResult, spec: GateSpec): { status: GateStatus; error?: string } {
  if (result.failedToStart !== null) return { status: "error", error: result.failedToStart };
  if (result.isCanceled) return { status: "error", error: CANCELLED };
  if (result.timedOut) return { status: "timeout", error: `timed out after ${spec.timeoutSecs}s` };
  if (result.exitCode === 0 && result.signal === null) return { status: "pass" };
  return { status: "fail" };
}

/**
 * The configured cwd, resolved and checked to stay inside the root even through symlinks: the
 * worktree's contents were written by an agent, the gate definition was not.
 */
async function gateCwd(root: string, cwd: string): Promise<string | { error: string }> {
  if (cwd !== ".") {
    const verdict = isSafeAgentPath(cwd);
    if (!verdict.ok) return { error: `unsafe cwd "${redactText(cwd)}": ${verdict.reason}` };
  }
  let realRoot: string;
  let realCwd: string;
  try {
    realRoot = await realpath(root);
    realCwd = await realpath(resolve(root, cwd));
  } catch {
    return { error: `cwd "${redactText(cwd)}" does not exist` };
  }
  if (!isInside(realRoot, realCwd))
    return { error: `cwd "${redactText(cwd)}" resolves outside the worktree` };
  return realCwd;
}

function base(spec: GateSpec): Pick<GateEvidence, "name" | "argv" | "cwd" | "required" | "allowFail"> {
  return {
    name: spec.name,
    argv: [spec.command, ...spec.args].map(redactText),
    cwd: spec.cwd,
    required: spec.required,
    allowFail: spec.allowFail,
  };
}

function notRun(spec: GateSpec, status: GateStatus, error: string | undefined): GateEvidence {
  return {
    ...base(spec),
    status,
    exitCode: null,
    signal: null,
    durationMs: 0,
    stdoutBytes: 0,
    stderrBytes: 0,
    stdoutSha256: EMPTY_SHA256,
    stderrSha256: EMPTY_SHA256,
    tail: "",
    ...(error === undefined ? {} : { error }),
  };
}
