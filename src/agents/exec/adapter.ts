import { OmkError } from "../../core/errors.js";
import { findExecutable } from "../../proc/executable.js";
import type { ProcResult } from "../../proc/types.js";
import type {
  AgentAdapter,
  AgentEvent,
  AgentHealth,
  AgentSession,
  AgentStartContext,
  DetectContext,
  TurnResult,
} from "../types.js";

/**
 * `--agent exec --agent-bin <path> [--agent-arg X]…`: any command as an agent. Each prompt runs
 * `[agentBin, ...agentArgs]` once in the worktree. stdin gets the prompt: the task, and on a retry the
 * task followed by the feedback. OMK_TASK holds the task alone (up to 64 KiB), on every attempt;
 * OMK_ATTEMPT the attempt number; on a retry OMK_FEEDBACK_FILE the feedback file. The exit code is
 * the verdict.
 */

const TAIL_CHARS = 400;
/** Tasks up to this size also travel in OMK_TASK; every task is on stdin. */
export const MAX_ENV_TASK_BYTES = 64 * 1024;
const OUTPUT_TAIL_BYTES = 64 * 1024;

function requireBin(agentBin: string | undefined): string {
  if (agentBin === undefined || agentBin === "") {
    throw new OmkError("USAGE", "The exec agent needs the command to run.", {
      hint: "Pass --agent-bin <path> (and --agent-arg for each argument).",
    });
  }
  return agentBin;
}

function tail(text: string): string {
  const t = text.trim();
  return t.length <= TAIL_CHARS ? t : `…${t.slice(-TAIL_CHARS)}`;
}

function execVerdict(res: ProcResult, bin: string, canceledByUs: boolean): TurnResult {
  const base = { steps: null, exitCode: res.exitCode };
  if (res.failedToStart !== null)
    return { ...base, status: "failed", detail: `${bin} did not start: ${res.failedToStart}` };
  if (res.isCanceled || canceledByUs)
    return { ...base, status: "cancelled", detail: `${bin} was interrupted` };
  if (res.timedOut)
    return { ...base, status: "failed", detail: `${bin} timed out after ${res.durationMs} ms` };
  if (res.exitCode === 0) return { ...base, status: "finished", detail: `${bin} exited 0` };
  const how =
    res.signal !== null ? `was killed by ${res.signal}` : `exited with code ${String(res.exitCode)}`;
  const stderr = tail(res.stderr); // already redacted by proc
  return {
    ...base,
    status: "failed",
    detail: stderr === "" ? `${bin} ${how}` : `${bin} ${how}; stderr: ${stderr}`,
  };
}

class ExecSession implements AgentSession {
  /** An exec agent is an arbitrary command: omk learns no version. */
  readonly version = null;
  readonly sessionPid = null;
  private current: AbortController | null = null;
  private canceled = false;
  private closed = false;

  constructor(
    private readonly exe: string,
    private readonly ctx: AgentStartContext,
  ) {}

  async prompt(text: string, attempt: number, feedbackFile?: string | undefined): Promise<TurnResult> {
    if (this.closed) return { status: "failed", detail: "the exec session is closed", steps: null };
    if (this.current !== null)
      return { status: "failed", detail: "an exec turn is already running", steps: null };
    const controller = new AbortController();
    this.current = controller;
    this.canceled = false;
    const onAbort = (): void => {
      this.canceled = true;
      controller.abort();
    };
    if (this.ctx.signal?.aborted === true) onAbort();
    else this.ctx.signal?.addEventListener("abort", onAbort, { once: true });
    // User text as explicit env is intended: it is the task itself, not a credential. One environment
    // string is capped by the kernel (128 KiB on Linux: E2BIG), so a longer task is only on stdin.
    const explicitEnv: Record<string, string> = { OMK_ATTEMPT: String(attempt) };
    // The prompt of a retry carries the feedback after the task; OMK_TASK stays the task itself.
    const task = this.ctx.task ?? text;
    if (Buffer.byteLength(task) <= MAX_ENV_TASK_BYTES) explicitEnv["OMK_TASK"] = task;
    if (feedbackFile !== undefined) explicitEnv["OMK_FEEDBACK_FILE"] = feedbackFile;
    try {
      const res = await this.ctx.proc.run([this.exe, ...(this.ctx.agentArgs ?? [])], {
        cwd: this.ctx.worktree,
        parentEnv: this.ctx.parentEnv,
        explicitEnv,
        input: text,
        timeoutMs: this.ctx.timeoutMs,
        // Only the stderr tail is read back (the verdict's detail); the run loop saves the output itself.
        maxOutputBytes: OUTPUT_TAIL_BYTES,
        signal: controller.signal,
        onStdoutLine: (line) => this.emit({ type: "text", text: line }),
        // stderr is part of what the agent printed (its tail also stays in the verdict's detail).
        onStderrLine: (line) => this.emit({ type: "text", text: line }),
        onWarning: (message) => this.emit({ type: "status", message }),
      });
      return execVerdict(res, this.exe, this.canceled);
    } finally {
      this.ctx.signal?.removeEventListener("abort", onAbort);
      this.current = null;
    }
  }

  private emit(event: AgentEvent): void {
    try {
      this.ctx.onEvent(event);
    } catch {
      // The run loop owns recording and sees its own error; the command keeps running.
    }
  }

  async interrupt(): Promise<void> {
    if (this.current === null) return;
    this.canceled = true;
    this.current.abort();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.interrupt();
  }
}

export function createExecAdapter(): AgentAdapter {
  async function detect(ctx: DetectContext): Promise<AgentHealth> {
    const bin = ctx.agentBin;
    const exe = bin === undefined || bin === "" ? null : findExecutable(bin, ctx.parentEnv["PATH"], ctx.cwd);
    const installed =
      bin === undefined || bin === ""
        ? { value: false, how: "no --agent-bin given" }
        : exe === null
          ? { value: false, how: `${bin} is not an executable file` }
          : { value: true, how: `found ${exe}` };
    return {
      adapter: "exec",
      installed,
      version: { value: null, how: "not probed: an exec agent is an arbitrary command" },
      auth: { value: "unknown", how: "not probed: an exec agent is an arbitrary command" },
      model: { value: null, how: "not applicable" },
      quota: { value: null, how: "not applicable" },
    };
  }

  async function start(ctx: AgentStartContext): Promise<AgentSession> {
    const bin = requireBin(ctx.agentBin);
    const exe = findExecutable(bin, ctx.parentEnv["PATH"], ctx.cwd);
    if (exe === null) {
      throw new OmkError("AGENT_NOT_FOUND", `exec agent not found: ${bin}`, {
        hint: "Point --agent-bin at an executable file (a path, or a name on PATH).",
        details: { bin },
      });
    }
    return new ExecSession(exe, ctx);
  }

  return { name: "exec", detect, start };
}
