import { RunResultSchema } from "@moonshot-ai/kimi-agent-sdk/schema";
import type { ExitInfo, ProcessHandle } from "../../proc/types.js";
import { redactText } from "../../security/redact.js";
import type { AgentEvent, AgentSession, AgentStartContext, TurnResult } from "../types.js";
import { createNormalizerState, normalizeEvent, truncate } from "./normalize.js";
import { answerApproval, answerHook, answerQuestion, answerToolCall } from "./requests.js";
import { KimiTransport, RpcCallError, TransportClosedError } from "./transport.js";
import type {
  WireApprovalRequest,
  WireHookRequest,
  WireQuestionRequest,
  WireRunResult,
  WireToolCallRequest,
} from "./wire-types.js";

export interface KimiSessionOptions {
  /** How long kimi gets to end a turn after `cancel` before its process group is killed. */
  cancelGraceMs: number;
}

interface ActiveTurn {
  cancelRequested: boolean;
  killedAfterCancel: boolean;
  timedOut: boolean;
  ended: Promise<void>;
}

/** kimi's JSON-RPC error codes (the SDK's CliError vocabulary) with what the user can do about them. */
const RPC_ERRORS: Record<number, string> = {
  [-32000]: "INVALID_STATE: kimi refused the request in its current state",
  [-32001]:
    "LLM_NOT_SET: kimi has no model configured (run `kimi` once to log in, or set KIMI_BASE_URL + KIMI_MODEL_NAME)",
  [-32002]: "LLM_NOT_SUPPORTED: the configured model cannot serve this request",
  [-32003]: "CHAT_PROVIDER_ERROR: the model provider returned an error",
};

export function describeRpcError(error: RpcCallError): string {
  const known = RPC_ERRORS[error.code] ?? `JSON-RPC error ${error.code}`;
  return `${known} — ${truncate(redactText(error.message))}`;
}

function describeExit(info: ExitInfo | null, stderrTail: string): string {
  const how =
    info === null
      ? "its output ended"
      : info.signal !== null
        ? `it was killed by ${info.signal}`
        : `it exited with code ${String(info.exitCode)}`;
  const tail = stderrTail.trim();
  return tail === "" ? how : `${how}; stderr: ${truncate(tail.split("\n").slice(-5).join(" | "), 400)}`;
}

/** One `kimi --wire` process: a session of turns over the JSON-RPC transport. */
export class KimiSession implements AgentSession {
  readonly transport: KimiTransport;
  private readonly state = createNormalizerState();
  private turn: ActiveTurn | null = null;
  private closing: Promise<void> | null = null;
  private exitInfo: ExitInfo | null = null;
  /** Set once the handshake succeeded; before that, an exit is the handshake's failure to report. */
  ready = false;
  /** What kimi's initialize result named as its version. */
  version: string | null = null;

  get sessionPid(): number | null {
    return this.handle.pid ?? null;
  }

  constructor(
    private readonly handle: ProcessHandle,
    private readonly ctx: AgentStartContext,
    private readonly options: KimiSessionOptions,
  ) {
    this.transport = new KimiTransport(handle, {
      onEvent: (type, payload) => {
        for (const event of normalizeEvent(type, payload, this.state)) this.emit(event);
      },
      onRequest: (type, payload) => this.answer(type, payload),
      onViolation: (message) => this.emit({ type: "status", message: `kimi protocol violation: ${message}` }),
    });
    ctx.signal?.addEventListener("abort", this.onAbort, { once: true });
    void handle.exited.then((info) => {
      this.exitInfo = info;
      if (this.ready && this.turn === null && this.closing === null) {
        this.emit({ type: "status", message: `kimi stopped between turns: ${this.exitDetail()}` });
      }
    });
  }

  private readonly onAbort = (): void => {
    void this.interrupt();
  };

  /** The recorder's own failure must not break the agent protocol mid-turn. */
  emit(event: AgentEvent): void {
    try {
      this.ctx.onEvent(event);
    } catch {
      // The run loop owns recording; it sees its own error where it records.
    }
  }

  exitDetail(): string {
    return describeExit(this.exitInfo, this.handle.stderrTail());
  }

  /** Waits briefly for the exit status after stdout closed, so crash details name the exit code. */
  async settledExit(): Promise<ExitInfo | null> {
    const timer = new Promise<null>((resolve) =>
      setTimeout(() => resolve(null), this.options.cancelGraceMs).unref(),
    );
    const info = await Promise.race([this.handle.exited, timer]);
    if (info !== null) this.exitInfo = info;
    return info;
  }

  private async answer(type: string, payload: unknown): Promise<unknown> {
    const emit = (event: AgentEvent) => this.emit(event);
    switch (type) {
      case "ApprovalRequest":
        return answerApproval(payload as WireApprovalRequest, this.state, this.ctx.approve, emit);
      case "QuestionRequest":
        return answerQuestion(payload as WireQuestionRequest, emit);
      case "ToolCallRequest":
        return answerToolCall(payload as WireToolCallRequest, emit);
      case "HookRequest":
        return answerHook(payload as WireHookRequest, emit);
      default:
        throw new Error(`unsupported request type ${type}`);
    }
  }

  async prompt(text: string, attempt: number, feedbackFile?: string | undefined): Promise<TurnResult> {
    if (this.closing !== null) return failed("the kimi session is closed", null);
    if (this.turn !== null) return failed("a kimi turn is already running in this session", null);
    if (this.transport.isClosed) {
      await this.settledExit();
      return failed(`kimi is not running: ${this.exitDetail()}`, this.exitInfo?.exitCode ?? null);
    }
    const userInput =
      feedbackFile !== undefined && !text.includes(feedbackFile)
        ? `${text}\n\n(Full feedback: ${feedbackFile})`
        : text;
    let endTurn = (): void => {};
    const turn: ActiveTurn = {
      cancelRequested: false,
      killedAfterCancel: false,
      timedOut: false,
      ended: new Promise<void>((resolve) => {
        endTurn = resolve;
      }),
    };
    this.turn = turn;
    this.state.maxStep = 0;
    this.emit({ type: "status", message: `prompt attempt ${attempt} sent to kimi` });
    const timeout =
      this.ctx.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            turn.timedOut = true;
            void this.interrupt();
          }, this.ctx.timeoutMs);
    try {
      const raw = await this.transport.request("prompt", { user_input: userInput });
      return this.verdict(turn, raw);
    } catch (error) {
      return await this.failure(turn, error);
    } finally {
      if (timeout !== undefined) clearTimeout(timeout);
      this.turn = null;
      endTurn();
    }
  }

  private verdict(turn: ActiveTurn, raw: unknown): TurnResult {
    const steps = this.state.maxStep;
    const parsed = RunResultSchema.safeParse(raw);
    if (!parsed.success) {
      return failed(
        `kimi sent an invalid prompt result (SCHEMA_MISMATCH): ${truncate(redactText(JSON.stringify(raw) ?? ""))}`,
        null,
        steps,
      );
    }
    const result = parsed.data as WireRunResult;
    if (turn.timedOut) {
      return {
        status: "failed",
        detail: `kimi turn timed out after ${this.ctx.timeoutMs} ms and was cancelled`,
        steps,
      };
    }
    switch (result.status) {
      case "finished":
        return { status: "finished", detail: `kimi finished the turn in ${steps} step(s)`, steps };
      case "cancelled":
        return {
          status: "cancelled",
          detail: turn.cancelRequested ? "cancelled by omk" : "kimi cancelled the turn on its own",
          steps,
        };
      case "max_steps_reached": {
        const n = result.steps ?? steps;
        return {
          status: "max_steps_reached",
          detail: `kimi stopped at its step limit (${n} steps)`,
          steps: n,
        };
      }
    }
  }

  private async failure(turn: ActiveTurn, error: unknown): Promise<TurnResult> {
    const steps = this.state.maxStep;
    if (error instanceof RpcCallError) return failed(describeRpcError(error), null, steps);
    // Closed stdout or a failed write to stdin: either way, find out whether the process is gone.
    const info = await this.settledExit();
    if (info === null && !(error instanceof TransportClosedError)) {
      const message = error instanceof Error ? error.message : String(error);
      return failed(`talking to kimi failed: ${truncate(redactText(message))}`, null, steps);
    }
    const exitCode = info?.exitCode ?? null;
    if (turn.timedOut) {
      return failed(
        `kimi turn timed out after ${this.ctx.timeoutMs} ms; ${this.exitDetail()}`,
        exitCode,
        steps,
      );
    }
    if (turn.killedAfterCancel) {
      const detail = `kimi did not end the turn within ${this.options.cancelGraceMs} ms of cancel; its process group was killed`;
      return { status: "cancelled", detail, steps, exitCode };
    }
    return failed(`kimi exited mid-turn (PROCESS_CRASHED): ${this.exitDetail()}`, exitCode, steps);
  }

  async interrupt(): Promise<void> {
    const turn = this.turn;
    if (turn === null) return;
    if (turn.cancelRequested) return turn.ended;
    turn.cancelRequested = true;
    this.transport.request("cancel").catch(() => {
      // "no turn in progress" races are harmless; a dead process is handled by the grace kill.
    });
    const grace = setTimeout(() => {
      if (this.turn !== turn) return;
      turn.killedAfterCancel = true;
      void this.handle.kill("kimi did not honour cancel");
    }, this.options.cancelGraceMs);
    try {
      await turn.ended;
    } finally {
      clearTimeout(grace);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.ctx.signal?.removeEventListener("abort", this.onAbort);
    await this.interrupt();
    // Like the official client: EOF first, so kimi can save its session; the group kill is the backstop.
    this.handle.endInput();
    if ((await this.settledExit()) === null) await this.handle.kill("kimi did not exit after stdin closed");
    await this.handle.exited;
    await this.transport.done;
  }
}

function failed(detail: string, exitCode: number | null, steps: number | null = null): TurnResult {
  return { status: "failed", detail, steps, exitCode };
}
