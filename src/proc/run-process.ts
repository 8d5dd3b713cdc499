import { createHash } from "node:crypto";
import { assertArgv, childEnv, graceMsFor, outputCapFor, timeoutMsFor } from "./child-setup.js";
import { CombinedTail } from "./combined-tail.js";
import { OutputCapture } from "./output-capture.js";
import { Supervisor } from "./supervisor.js";
import type { ProcResult, RunOptions } from "./types.js";

/**
 * Runs argv to completion. Never rejects for a non-zero exit, timeout, cancel or a missing
 * executable: failure is data in the result. Throws only on programmer error (empty argv,
 * non-string args, a line callback that threw — rethrown once the process group is gone).
 */
export async function runProcess(argv: readonly string[], options: RunOptions): Promise<ProcResult> {
  assertArgv(argv);
  const cap = outputCapFor(options.maxOutputBytes, options.onWarning);
  const supervisor = new Supervisor({
    argv,
    cwd: options.cwd,
    env: childEnv(options),
    stdin: options.input === undefined ? "ignore" : { input: options.input },
    timeoutMs: timeoutMsFor(options.timeoutMs),
    graceMs: graceMsFor(options),
    signal: options.signal,
    onGroupStarted: options.onGroupStarted,
  });
  const combined =
    options.combinedTailBytes === undefined
      ? undefined
      : new CombinedTail(outputCapFor(options.combinedTailBytes, options.onWarning));
  const stdout = new OutputCapture(
    cap,
    options.onStdoutLine,
    combined && ((t) => combined.push("stdout", t)),
  );
  const stderr = new OutputCapture(
    cap,
    options.onStderrLine,
    combined && ((t) => combined.push("stderr", t)),
  );
  const raw = options.rawStdout ? new RawCapture(cap) : undefined;
  supervisor.subprocess.stdout?.on("data", (chunk: Uint8Array | string) =>
    raw ? raw.push(chunk) : stdout.push(chunk),
  );
  supervisor.subprocess.stderr?.on("data", (chunk: Uint8Array | string) => stderr.push(chunk));

  const outcome = await supervisor.done;
  const out = stdout.finish();
  const err = stderr.finish();
  const callbackFailure = stdout.callbackFailure ?? stderr.callbackFailure;
  if (callbackFailure !== undefined) throw callbackFailure.error;
  return {
    argv: [...argv],
    cwd: options.cwd,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    timedOut: outcome.timedOut,
    isCanceled: outcome.isCanceled,
    failedToStart: outcome.failedToStart,
    durationMs: outcome.durationMs,
    pid: supervisor.pid,
    stdout: out.text,
    stderr: err.text,
    stdoutBytes: raw ? raw.bytes : out.bytes,
    stderrBytes: err.bytes,
    stdoutSha256: raw ? raw.hash.digest("hex") : out.sha256,
    stderrSha256: err.sha256,
    ...(combined === undefined ? {} : { combinedTail: combined.finish() }),
    ...(raw === undefined ? {} : { stdoutRaw: Buffer.concat(raw.chunks) }),
  };
}

/** stdout as bytes: kept whole up to the cap, counted and hashed past it. */
class RawCapture {
  readonly chunks: Buffer[] = [];
  readonly hash = createHash("sha256");
  bytes = 0;
  private kept = 0;

  constructor(private readonly cap: number) {}

  push(chunk: Uint8Array | string): void {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    this.bytes += b.length;
    this.hash.update(b);
    if (this.kept + b.length > this.cap) return;
    this.kept += b.length;
    this.chunks.push(b);
  }
}
