/**
 * The one interface every agent adapter implements. The run loop codes against this file only, so an
 * adapter can be swapped (kimi, exec, replay, …) without the loop knowing which protocol is spoken.
 */

export type ExecutionMode = "ask" | "auto" | "never";

/** A fact together with how it was learned, so `omk doctor` can say why it believes something. */
export interface Learned<T> {
  value: T;
  /** e.g. "`kimi --version` exit 0" */
  how: string;
}

export interface AgentHealth {
  adapter: string;
  installed: Learned<boolean>;
  version: Learned<string | null>;
  auth: Learned<"ok" | "missing" | "unknown">;
  model: Learned<string | null>;
  quota: Learned<string | null>;
}

/**
 * Normalized agent events. Text fields are the agent's raw words (untrusted); the run loop redacts
 * them before recording. `usage` is reported per agent step: consumers sum the events.
 */
export type AgentEvent =
  | { type: "text"; text: string }
  | { type: "thinking"; text: string }
  | { type: "tool_call"; id: string; name: string; summary: string }
  | { type: "tool_result"; id: string; isError: boolean; summary: string; diffPaths: string[] }
  | {
      type: "approval";
      requestId: string;
      tool: string;
      action: string;
      paths: string[];
      decision: "approve" | "reject";
      reason: string;
    }
  | { type: "usage"; inputTokens: number | null; outputTokens: number | null; costUsd: number | null }
  | { type: "step"; n: number }
  | { type: "status"; message: string };

export interface ApprovalRequest {
  requestId: string;
  tool: string;
  action: string;
  description: string;
  /** From display diff blocks and tool-call arguments; repo-relative as the agent gave them (untrusted). */
  paths: string[];
}

export interface ApprovalDecision {
  decision: "approve" | "reject";
  reason: string;
}

export interface AgentStartContext {
  worktree: string;
  runId: string;
  parentEnv: Readonly<Record<string, string | undefined>>;
  agentBin?: string | undefined;
  agentArgs?: readonly string[] | undefined;
  model?: string | undefined;
  /** Decides every approval request; the policy layer supplies it (agents must not import policy/). */
  approve: (req: ApprovalRequest) => Promise<ApprovalDecision>;
  /** Already-normalized; the run loop redacts and records them to the ledger. */
  onEvent: (event: AgentEvent) => void;
  signal?: AbortSignal | undefined;
  /** Upper bound for one prompt() turn. */
  timeoutMs?: number | undefined;
}

export interface TurnResult {
  status: "finished" | "cancelled" | "max_steps_reached" | "failed";
  detail: string;
  steps: number | null;
  exitCode?: number | null | undefined;
}

export interface AgentSession {
  /** First prompt and every feedback prompt go through here; resolves when the agent's turn ends. */
  prompt(text: string, attempt: number, feedbackFile?: string | undefined): Promise<TurnResult>;
  /** kimi: JSON-RPC `cancel` (then kill after a grace period); exec: abort the process group. */
  interrupt(): Promise<void>;
  close(): Promise<void>;
}

export interface DetectContext {
  parentEnv: Readonly<Record<string, string | undefined>>;
  agentBin?: string | undefined;
}

export interface AgentAdapter {
  name: string;
  detect(ctx: DetectContext): Promise<AgentHealth>;
  start(ctx: AgentStartContext): Promise<AgentSession>;
}
