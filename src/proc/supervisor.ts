import { ChildProcess, spawn } from "node:child_process";
import { statSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { redactText } from "../security/redact.js";
import {
  groupHasLiveMembers,
  groupsSupported,
  registerGroup,
  signalGroup,
  unregisterGroup,
} from "./process-group.js";
import type { ExitInfo } from "./types.js";

/** How often a dying group is re-checked. */
const POLL_MS = 25;
/** After SIGKILL, how long to wait for the kernel to tear the group down before giving up. */
const KILL_SETTLE_MS = 1_000;
/**
 * After the leader exited and its group is gone, how long to wait for stdout/stderr to reach
 * EOF. Only a process that escaped the group (setsid) and kept our pipes can hold them longer;
 * we stop listening rather than hang the run.
 */
const DRAIN_MS = 2_000;

export interface SuperviseOptions {
  argv: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** "pipe" keeps stdin open for writes; a string is written then closed; undefined → ignored. */
  stdin: "pipe" | "ignore" | { input: string };
  timeoutMs: number | undefined;
  graceMs: number;
  signal: AbortSignal | undefined;
  /** Told the child's process group synchronously, right after spawn (a run's process context). */
  onGroupStarted?: ((pgid: number) => void) | undefined;
}

/** How the child ended; the same shape a ProcessHandle reports. */
export type Outcome = ExitInfo;

/**
 * Owns one child from spawn to the death of its whole process group: timeout and abort both
 * become SIGTERM to the group and, `graceMs` later, SIGKILL. When the leader exits on its own,
 * anything it left running in its group is swept the same way, because a leftover holding our
 * pipes would otherwise hang the caller and outlive the gate or agent that started it.
 */
export class Supervisor {
  readonly subprocess: ChildProcess;
  readonly pid: number | undefined;
  private readonly result: Promise<ChildResult>;
  readonly done: Promise<Outcome>;

  private readonly started = performance.now();
  private timedOut = false;
  private isCanceled = false;
  private spawned = false;
  private leaderExited = false;
  private termSent = false;
  private killSent = false;
  private finished = false;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private sweepDone: Promise<void> = Promise.resolve();
  private readonly onAbort = (): void => {
    if (this.leaderExited) return;
    this.isCanceled = true;
    this.terminate();
  };

  constructor(private readonly options: SuperviseOptions) {
    const started = startChild(options);
    this.subprocess = started.child;
    this.result = started.result;
    this.pid = this.subprocess.pid;
    if (this.pid !== undefined && groupsSupported()) {
      registerGroup(this.pid);
      options.onGroupStarted?.(this.pid);
    }

    this.subprocess.once("spawn", () => {
      this.spawned = true;
    });
    this.subprocess.once("exit", () => {
      this.leaderExited = true;
      if (this.timeoutTimer !== undefined) clearTimeout(this.timeoutTimer);
      this.sweepDone = this.sweep();
    });
    if (options.timeoutMs !== undefined) {
      this.timeoutTimer = setTimeout(() => {
        if (this.leaderExited) return;
        this.timedOut = true;
        this.terminate();
      }, options.timeoutMs);
    }
    if (options.signal !== undefined) {
      if (options.signal.aborted) this.onAbort();
      else options.signal.addEventListener("abort", this.onAbort, { once: true });
    }
    this.done = this.wait();
  }

  /** SIGTERM now, SIGKILL after the grace period; repeated calls change nothing. */
  terminate(): void {
    // After `finished` the pid may belong to someone else: never signal it again.
    if (this.termSent || this.finished || this.pid === undefined) return;
    this.termSent = true;
    if (!groupsSupported()) {
      this.subprocess.kill("SIGTERM");
      this.killTimer = setTimeout(() => this.subprocess.kill("SIGKILL"), this.options.graceMs);
      return;
    }
    signalGroup(this.pid, "SIGTERM");
    this.killTimer = setTimeout(() => this.forceKill(), this.options.graceMs);
  }

  private forceKill(): void {
    if (this.killSent || this.pid === undefined) return;
    this.killSent = true;
    signalGroup(this.pid, "SIGKILL");
  }

  private async sweep(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined || !groupsSupported()) return;
    if (!groupHasLiveMembers(pid)) return;
    this.terminate();
    const termDeadline = performance.now() + this.options.graceMs;
    while (!this.killSent && performance.now() < termDeadline && groupHasLiveMembers(pid))
      await delay(POLL_MS);
    if (!groupHasLiveMembers(pid)) return;
    this.forceKill();
    const killDeadline = performance.now() + KILL_SETTLE_MS;
    while (performance.now() < killDeadline && groupHasLiveMembers(pid)) await delay(POLL_MS);
  }

  private async wait(): Promise<Outcome> {
    const stopDrainGuard = new AbortController();
    const guard = this.drainGuard(stopDrainGuard.signal);
    let result: ChildResult;
    try {
      result = await this.result;
    } finally {
      stopDrainGuard.abort();
    }
    const durationMs = Math.round(performance.now() - this.started);
    await guard;
    await this.sweepDone;
    this.cleanup();
    const spawned = this.spawned || this.leaderExited;
    return {
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      timedOut: this.timedOut,
      isCanceled: this.isCanceled,
      failedToStart: spawned ? null : redactText(startFailureMessage(result, this.options.argv[0] ?? "")),
      durationMs,
    };
  }

  /** Once the leader is gone and its group swept, stop waiting for EOF after DRAIN_MS. */
  private async drainGuard(stop: AbortSignal): Promise<void> {
    try {
      await new Promise<void>((resolve, reject) => {
        if (this.leaderExited) resolve();
        else this.subprocess.once("exit", () => resolve());
        stop.addEventListener("abort", () => reject(stop.reason), { once: true });
      });
      await this.sweepDone;
      await delay(DRAIN_MS, undefined, { signal: stop });
    } catch {
      return; // the output ended on its own
    }
    this.subprocess.stdout?.destroy();
    this.subprocess.stderr?.destroy();
    this.subprocess.stdin?.destroy();
  }

  private cleanup(): void {
    this.finished = true;
    if (this.timeoutTimer !== undefined) clearTimeout(this.timeoutTimer);
    if (this.killTimer !== undefined) clearTimeout(this.killTimer);
    this.options.signal?.removeEventListener("abort", this.onAbort);
    if (this.pid !== undefined) unregisterGroup(this.pid);
  }
}

/**
 * node:child_process directly, with everything implicit turned off: no shell, no env beyond what
 * the caller sanitized, no buffering (OutputCapture consumes the streams), failure as data, and the
 * child leading its own process group (process-group.ts kills the group). This replaced execa,
 * which did the same with every feature off for more CPU per spawn (omk spawns git ~20 times a run;
 * `npm run bench`'s foundation `spawn` figure measures the two side by side). The result settles when the child has exited
 * and its stdout and stderr have closed, or, for a child that never started, with the error.
 */
function startChild(options: SuperviseOptions): { child: ChildProcess; result: Promise<ChildResult> } {
  const [file, ...args] = options.argv;
  const input = typeof options.stdin === "string" ? undefined : options.stdin.input;
  let child: ChildProcess;
  try {
    child = spawn(file as string, args, {
      cwd: options.cwd,
      env: options.env,
      shell: false,
      detached: groupsSupported(),
      windowsHide: true,
      stdio: [typeof options.stdin === "string" ? options.stdin : "pipe", "pipe", "pipe"],
    });
  } catch (error) {
    // Invalid arguments (a NUL byte in the env, say) throw before any process exists.
    const e = error as NodeJS.ErrnoException;
    return {
      child: new ChildProcess(),
      result: Promise.resolve({ originalMessage: e.message, code: e.code }),
    };
  }
  const result = new Promise<ChildResult>((resolve) => {
    let failure: NodeJS.ErrnoException | undefined;
    child.once("error", (error: NodeJS.ErrnoException) => {
      failure = error;
      // Node says ENOENT for a missing cwd as for a missing executable: tell them apart.
      const message =
        error.code === "ENOENT" && !isDirectory(options.cwd)
          ? `the cwd does not exist or is not a directory: ${options.cwd} (${error.message})`
          : error.message;
      if (child.pid === undefined) resolve({ originalMessage: message, code: error.code });
    });
    child.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
      resolve({
        exitCode: code ?? undefined,
        signal: signal ?? undefined,
        ...(failure === undefined ? {} : { originalMessage: failure.message, code: failure.code }),
      });
    });
  });
  if (input !== undefined && child.stdin) {
    // A child that exits without reading its input makes the write fail with EPIPE: that is the
    // child's business, reported by its exit, never a crash of omk.
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  }
  return { child, result };
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

interface ChildResult {
  exitCode?: number | undefined;
  signal?: string | undefined;
  originalMessage?: string | undefined;
  code?: string | undefined;
}

function startFailureMessage(result: ChildResult, command: string): string {
  const message = result.originalMessage ?? "the process did not start";
  const detail =
    result.code !== undefined && !message.includes(result.code) ? `${message} (${result.code})` : message;
  // Node says "spawn x ENOENT"; say what that means, keeping the code for callers that match on it.
  if (result.code === "ENOENT" && !/cwd/.test(message)) return `executable not found: ${command} (${detail})`;
  if (result.code === "EACCES") return `not executable (permission denied): ${command} (${detail})`;
  return detail;
}
