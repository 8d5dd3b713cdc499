import { CommanderError } from "commander";
import { OmkError } from "../core/errors.js";
import { ExitCode, type ExitCodeValue } from "../core/exit-codes.js";
import { redactText } from "../security/redact.js";
import type { Output } from "./output.js";

/** Turns anything thrown by a command into one rendered error and an exit code. */
export function handleError(err: unknown, out: Output): ExitCodeValue {
  const omk = toOmkError(err);
  const message = redactText(omk.message);
  const hint = omk.hint === undefined ? undefined : redactText(omk.hint);
  if (out.opts.json && !out.wroteJson) {
    out.json({
      ok: false,
      error: { code: omk.code, message, exitCode: omk.exitCode, ...(hint ? { hint } : {}) },
    });
  }
  out.error(`${message} ${out.paint("gray", `[${omk.code}]`)}`);
  if (hint) out.raw(`${out.paint("cyan", "hint:")} ${hint}`);
  if (out.opts.verbose && !(err instanceof OmkError) && err instanceof Error && err.stack) {
    out.raw(out.paint("gray", redactText(err.stack)));
  }
  return omk.exitCode;
}

function toOmkError(err: unknown): OmkError {
  if (err instanceof OmkError) return err;
  if (err instanceof CommanderError) {
    return new OmkError("USAGE", err.message.replace(/^error:\s*/, ""), {
      exitCode: ExitCode.usage,
      hint: "run `omk --help` (or `omk <command> --help`) to see commands, flags and examples",
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new OmkError("INTERNAL", `unexpected failure: ${message}`, {
    hint: "re-run with --verbose for a stack trace; please report it if it persists",
  });
}
