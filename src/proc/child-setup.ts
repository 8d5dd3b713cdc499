import { OmkError } from "../core/errors.js";
import { KNOBS, readIntKnob } from "../security/bounded-env.js";
import { sanitizeEnv } from "../security/env.js";
import type { RunOptions } from "./types.js";

/** Rejects what can only be a programmer error; everything the child does is data instead. */
export function assertArgv(argv: unknown): asserts argv is readonly string[] {
  if (!Array.isArray(argv) || argv.length === 0) {
    throw new OmkError("INTERNAL", "A process needs a non-empty argv array (executable first).");
  }
  argv.forEach((arg: unknown, index) => {
    if (typeof arg !== "string") {
      throw new OmkError("INTERNAL", `argv[${index}] is ${typeof arg}, not a string.`);
    }
    if (arg.includes("\0")) {
      throw new OmkError("INTERNAL", `argv[${index}] contains a NUL byte, which no OS can pass on.`);
    }
  });
  if (argv[0] === "") throw new OmkError("INTERNAL", "argv[0] (the executable) is empty.");
}

type EnvOptions = Pick<RunOptions, "parentEnv" | "passThrough" | "explicitEnv" | "onWarning">;

export function childEnv(options: EnvOptions): Record<string, string> {
  return sanitizeEnv(options.parentEnv ?? process.env, {
    passThrough: options.passThrough,
    explicit: options.explicitEnv,
    onWarning: options.onWarning,
  });
}

/** Knobs are omk's own settings, so they come from omk's environment, not the child's. */
export function graceMsFor(options: Pick<RunOptions, "graceMs" | "onWarning">): number {
  if (options.graceMs !== undefined) return nonNegative(options.graceMs, "graceMs");
  return readIntKnob(process.env, KNOBS.killGraceMs, options.onWarning);
}

export function outputCapFor(
  capBytes: number | undefined,
  onWarning?: ((m: string) => void) | undefined,
): number {
  if (capBytes !== undefined) return nonNegative(capBytes, "maxOutputBytes");
  return readIntKnob(process.env, KNOBS.outputCapBytes, onWarning);
}

/** Node fires longer timers at once; ~24.8 days is far beyond any gate or agent limit anyway. */
const MAX_TIMER_MS = 2_147_483_647;

export function timeoutMsFor(timeoutMs: number | undefined): number | undefined {
  return timeoutMs === undefined ? undefined : Math.min(nonNegative(timeoutMs, "timeoutMs"), MAX_TIMER_MS);
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new OmkError("INTERNAL", `${name} must be a finite number >= 0, got ${value}.`);
  }
  return value;
}
