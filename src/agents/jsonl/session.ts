import { readFile } from "node:fs/promises";
import type { AgentEvent, AgentSession, AgentStartContext, TurnResult } from "../types.js";

/**
 * A CLI that runs one headless turn per process and prints one JSON event per line (claude's
 * stream-json, codex's `exec --json`). Each prompt spawns the CLI through the run's process context
 * (sanitized env, own process group); a retry resumes the CLI's own session when the parser learned
 * its id, so the feedback arrives in the conversation that made the change.
 */

export const SUMMARY_MAX = 300;
const STDERR_TAIL = 400;

export function truncate(text: string, max = SUMMARY_MAX): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** What one turn's stream told the parser. */
export interface StreamParser {
  /** One raw stdout line → normalized events (text is untrusted; the run loop redacts it). */
  line(line: string): AgentEvent[];
  /** The CLI's session/thread id, once seen; used to resume on the next prompt. */
  readonly sessionId: string | null;
  /** The CLI's own verdict on the turn, once seen (claude's `result`, codex's `turn.completed`). */
  readonly outcome: { ok: boolean; detail: string; steps: number | null } | null;
  /** The CLI's version, when its stream states it. */
  readonly version: string | null;
}

export interface JsonlCliSpec {
  name: string;
  exe: string;
  /**
   * The argv for one turn; `resume` is the session id of the previous turn, if any. The prompt is not
   * in it: it goes on stdin, where every one of these CLIs reads it when it is not a terminal.
   */
  argv(resume: string | null): string[];
  parser(): StreamParser;
  /** See JsonlCliStart.maxPromptBytes: a longer prompt fails the turn instead of reaching the CLI cut. */
  maxPromptBytes?: number | undefined;
  passThrough: readonly string[];
  explicitEnv: Readonly<Record<string, string>>;
  version: string | null;
}

export class JsonlCliSession implements AgentSession {
  version: string | null;
  readonly sessionPid = null;
  private sessionId: string | null = null;
  private current: AbortController | null = null;
  private canceled = false;
  private closed = false;

  constructor(
    private readonly spec: JsonlCliSpec,
    private readonly ctx: AgentStartContext,
  ) {
    this.version = spec.version;
  }

  async prompt(text: string, attempt: number, feedbackFile?: string | undefined): Promise<TurnResult> {
    const name = this.spec.name;
    if (this.closed) return { status: "failed", detail: `the ${name} session is closed`, steps: null };
    if (this.current !== null)
      return { status: "failed", detail: `a ${name} turn is already running`, steps: null };
    const resume = this.sessionId;
    // A resumed conversation already holds the task: it gets the feedback alone.
    const prompt =
      resume !== null && feedbackFile !== undefined ? await feedbackPrompt(feedbackFile, text) : text;
    const bytes = Buffer.byteLength(prompt);
    if (this.spec.maxPromptBytes !== undefined && bytes > this.spec.maxPromptBytes)
      return {
        status: "failed",
        detail: `the prompt is ${bytes} bytes; ${name} reads at most ${this.spec.maxPromptBytes} from stdin and would silently cut the rest: shorten the task`,
        steps: null,
      };
    const controller = new AbortController();
    this.current = controller;
    this.canceled = false;
    const onAbort = (): void => {
      this.canceled = true;
      controller.abort();
    };
    if (this.ctx.signal?.aborted === true) onAbort();
    else this.ctx.signal?.addEventListener("abort", onAbort, { once: true });
    const parser = this.spec.parser();
    try {
      this.emit({
        type: "status",
        message: truncate(`${name} attempt ${attempt}${resume ? ` resumes session ${resume}` : ""}`),
      });
      // On stdin, not in argv: the kernel caps one argument at 128 KiB (a long task or feedback would
      // fail to start with E2BIG), and argv is visible to every user of the machine in `ps`.
      const handle = this.ctx.proc.spawn(this.spec.argv(resume), {
        input: prompt,
        cwd: this.ctx.worktree,
        parentEnv: this.ctx.parentEnv,
        passThrough: this.spec.passThrough,
        explicitEnv: this.spec.explicitEnv,
        timeoutMs: this.ctx.timeoutMs,
        signal: controller.signal,
        onWarning: (message) => this.emit({ type: "status", message: truncate(message) }),
        // What the CLI prints on stderr is part of its output (proc redacts these lines).
        onStderrLine: (line) => this.emit({ type: "text", text: line, stderr: true }),
      });
      for await (const line of handle.lines()) {
        for (const event of parser.line(line)) this.emit(event);
      }
      const exit = await handle.exited;
      if (parser.sessionId !== null) this.sessionId = parser.sessionId;
      if (parser.version !== null) this.version = parser.version;
      const base = { steps: parser.outcome?.steps ?? null, exitCode: exit.exitCode };
      if (exit.failedToStart !== null)
        return { ...base, status: "failed", detail: `${name} did not start: ${exit.failedToStart}` };
      if (exit.isCanceled || this.canceled)
        return { ...base, status: "cancelled", detail: `${name} was interrupted` };
      if (exit.timedOut)
        return { ...base, status: "failed", detail: `${name} timed out after ${exit.durationMs} ms` };
      const stderr = tail(handle.stderrTail());
      if (exit.exitCode !== 0) {
        const how =
          exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${String(exit.exitCode)}`;
        const why = parser.outcome?.detail ?? stderr;
        return {
          ...base,
          status: "failed",
          detail: why === "" ? `${name} ${how}` : `${name} ${how}: ${why}`,
        };
      }
      if (parser.outcome === null) {
        return {
          ...base,
          status: "failed",
          detail: `${name} exited 0 without reporting the end of its turn`,
        };
      }
      return { ...base, status: parser.outcome.ok ? "finished" : "failed", detail: parser.outcome.detail };
    } finally {
      this.ctx.signal?.removeEventListener("abort", onAbort);
      this.current = null;
    }
  }

  emit(event: AgentEvent): void {
    try {
      this.ctx.onEvent(event);
    } catch {
      // The run loop owns recording and sees its own error; the turn goes on.
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

function tail(text: string): string {
  const t = text.trim();
  return t.length <= STDERR_TAIL ? t : `…${t.slice(-STDERR_TAIL)}`;
}

async function feedbackPrompt(file: string, fallback: string): Promise<string> {
  try {
    const feedback = await readFile(file, "utf8");
    return `Your change did not pass the project's checks. Fix it.\n\n${feedback}`;
  } catch {
    return fallback;
  }
}

/** Parses one line as a JSON object; null for anything else (the caller keeps it as text). */
export function jsonObject(line: string): Record<string, unknown> | null {
  const t = line.trim();
  if (!t.startsWith("{")) return null;
  try {
    const v: unknown = JSON.parse(t);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
