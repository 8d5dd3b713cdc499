import type { Spawner } from "../proc/context.js";

/**
 * The one interface every agent adapter implements. The run loop codes against this file only, so an
 * adapter can be swapped (kimi, exec, replay, …) without the loop knowing which protocol is spoken.
 */

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
  /** `stderr`: a line the CLI printed on stderr, not the model's words (a consultation's answer skips it). */
  | { type: "text"; text: string; stderr?: true }
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
  /** The run's task as the person gave it; a retry's prompt is this task followed by the feedback. */
  task?: string | undefined;
  parentEnv: Readonly<Record<string, string | undefined>>;
  /** Where the user invoked omk: a relative agent executable is found from here. */
  cwd: string;
  /** Starts the agent's processes: the run's own process context records their groups. */
  proc: Spawner;
  agentBin?: string | undefined;
  agentArgs?: readonly string[] | undefined;
  model?: string | undefined;
  /**
   * The run's execution mode, for adapters whose CLI decides approvals itself (claude's permission
   * modes, codex's sandbox): they map it onto the CLI's own flags. Absent means `auto`.
   */
  execution?: "ask" | "auto" | "never" | undefined;
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
  /** The agent's version as the adapter learned it (e.g. kimi's initialize result), or null. */
  readonly version: string | null;
  /**
   * The process that holds the session between turns (kimi's), spared when the turn's leftovers are
   * stopped; null when nothing of the agent should outlive a turn.
   */
  readonly sessionPid: number | null;
  /** First prompt and every feedback prompt go through here; resolves when the agent's turn ends. */
  prompt(text: string, attempt: number, feedbackFile?: string | undefined): Promise<TurnResult>;
  /** kimi: JSON-RPC `cancel` (then kill after a grace period); exec: abort the process group. */
  interrupt(): Promise<void>;
  close(): Promise<void>;
}

export interface DetectContext {
  parentEnv: Readonly<Record<string, string | undefined>>;
  /** Also run the CLI's own auth status command (`omk doctor`); a run's preflight only needs `installed`. */
  probeAuth?: boolean | undefined;
  agentBin?: string | undefined;
  /** Where the user invoked omk: a relative agent executable is found from here. */
  cwd: string;
  proc?: Spawner | undefined;
}

export type Capability = "read" | "write" | "shell";

/**
 * How `omk ask` consults the adapter without letting it change anything: a CLI run in its own
 * read-only mode (`cli`), an API that can only answer (`api`), or `none` with why it cannot be.
 */
export type AdvisorMode =
  | { kind: "cli"; how: string }
  | { kind: "api"; how: string }
  | { kind: "none"; why: string };

/** Which variables of omk's environment an agent gets beyond the sanitized allowlist, and which omk sets. */
export interface AgentEnvContract {
  /** Not secret: passed through when set. */
  passThrough: readonly string[];
  /** Secret-like, so the sanitizer drops them; the agent needs them, so they are passed explicitly. */
  secrets: readonly string[];
  /** Set by omk for the agent. */
  provides: readonly string[];
}

/**
 * What an agent needs inside its sandbox: the network (`host` for agents that reach a model API) and
 * the files of its own under HOME (config, login, install), relative to HOME. Nothing else of HOME
 * is mounted.
 */
export interface AgentSandboxNeeds {
  network: "none" | "host";
  home: readonly { path: string; writable: boolean }[];
}

/** A parsed `--agent` value: `name` or `name:<arg>`. */
export interface AgentSpec {
  name: string;
  arg: string | null;
  /** As recorded in the ledger (`name` or `name:<arg>`, the arg normalized). */
  text: string;
}

export interface AdapterCreateContext {
  /** The run's private directory (replay keeps the recording it plays there, for resume). */
  runDir: string;
  /** The run's agent was just replaced (`run resume --agent`): ignore what an earlier agent kept in runDir. */
  fresh?: boolean;
  /** Turns a `replay:` source that is not a file (a run id) into a recording file's contents. */
  recordingOfRun(query: string): Promise<unknown>;
}

/** One registry entry: everything omk knows about an adapter without loading it. */
export interface AgentDescriptor {
  name: string;
  /** One line for `--help` and `omk init`'s comments. */
  summary: string;
  /** `null`: the spec is the name alone. Otherwise `name:<arg>`, e.g. replay:<run-id|recording.json>. */
  arg: { placeholder: string; normalize?: (arg: string, cwd: string) => string } | null;
  /** `--agent-bin`: the command itself (exec), an override (kimi), or meaningless (replay). */
  agentBin: "required" | "override" | "unused";
  capabilities: readonly Capability[];
  /** What `omk ask` may do with it (see AdvisorMode). */
  advisor: AdvisorMode;
  env: AgentEnvContract;
  /** What the agent needs inside a sandbox (see AgentSandboxNeeds). */
  sandbox: AgentSandboxNeeds;
  /** What to do when detect() says it is not installed. */
  notFoundHint: string;
  create(spec: AgentSpec, ctx: AdapterCreateContext): Promise<AgentAdapter>;
}

export interface AgentAdapter {
  name: string;
  detect(ctx: DetectContext): Promise<AgentHealth>;
  start(ctx: AgentStartContext): Promise<AgentSession>;
}
