import type { RunPhase, RunStatus } from "./events.js";

/** The subset of a ledger line the projection needs; keeps this module pure and easy to test. */
export interface EventLike {
  seq: number;
  ts: string;
  kind: string;
  data: Record<string, unknown>;
}

export interface GateOutcome {
  name: string;
  status: string;
  exitCode: number | null;
  durationMs: number;
  required: boolean;
  allowFail: boolean;
  argv: string[];
  stdoutBytes: number;
  stderrBytes: number;
  stdoutSha256: string;
  stderrSha256: string;
  tail: string;
}

export interface AttemptState {
  n: number;
  agent: { status: string; detail: string } | null;
  diff: {
    files: { path: string; status: string; added: number | null; deleted: number | null }[];
    added: number;
    deleted: number;
    patchSha256: string | null;
    patchFile: string | null;
  } | null;
  violations: { path: string; reason: string }[];
  findings: { path: string; line: number; rule: string }[];
  gates: GateOutcome[];
  outcome: string | null;
}

export interface RunState {
  runId: string;
  task: string;
  root: string;
  base: string;
  baseBranch: string | null;
  branch: string;
  worktree: string;
  agent: { name: string; bin: string | null; args: string[]; model: string | null };
  execution: string;
  maxAttempts: number;
  startedAt: string;
  workspaceReady: boolean;
  setupFailed: string | null;
  attempts: AttemptState[];
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
  approvals: { approved: number; rejected: number };
  interrupted: boolean;
  resumes: number;
  finished: { status: RunStatus; reasons: string[]; headCommit: string | null } | null;
  proofWritten: boolean;
  landed: { commit: string; fastForward: boolean } | null;
  lastTs: string;
  events: number;
}

const str = (v: unknown, d = ""): string => (typeof v === "string" ? v : d);
const num = (v: unknown, d = 0): number => (typeof v === "number" && Number.isFinite(v) ? v : d);

/** Fold the ledger into the run's current state. Unknown kinds are ignored (forward compatible). */
export function projectRun(events: readonly EventLike[]): RunState {
  const first = events[0];
  if (first?.kind !== "RunStarted") throw new Error("ledger does not start with RunStarted");
  const d = first.data;
  const agent = (d["agent"] ?? {}) as Record<string, unknown>;
  const s: RunState = {
    runId: str(d["runId"]),
    task: str(d["task"]),
    root: str(d["root"]),
    base: str(d["base"]),
    baseBranch: typeof d["baseBranch"] === "string" ? d["baseBranch"] : null,
    branch: str(d["branch"]),
    worktree: str(d["worktree"]),
    agent: {
      name: str(agent["name"], "unknown"),
      bin: typeof agent["bin"] === "string" ? agent["bin"] : null,
      args: Array.isArray(agent["args"]) ? (agent["args"] as unknown[]).map(String) : [],
      model: typeof agent["model"] === "string" ? agent["model"] : null,
    },
    execution: str(d["execution"], "auto"),
    maxAttempts: num(d["maxAttempts"], 1),
    startedAt: first.ts,
    workspaceReady: false,
    setupFailed: null,
    attempts: [],
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    approvals: { approved: 0, rejected: 0 },
    interrupted: false,
    resumes: 0,
    finished: null,
    proofWritten: false,
    landed: null,
    lastTs: first.ts,
    events: events.length,
  };
  const attempt = (n: unknown): AttemptState => {
    const k = num(n, 0);
    let a = s.attempts.find((x) => x.n === k);
    if (!a) {
      a = { n: k, agent: null, diff: null, violations: [], findings: [], gates: [], outcome: null };
      s.attempts.push(a);
      s.attempts.sort((x, y) => x.n - y.n);
    }
    return a;
  };
  for (const e of events.slice(1)) {
    s.lastTs = e.ts;
    const x = e.data;
    switch (e.kind) {
      case "WorkspaceReady":
        // Individual WorkspaceSetup steps are informational; this event carries the verdict.
        s.workspaceReady = true;
        s.setupFailed = x["setupOk"] === false ? str(x["setupDetail"], "workspace setup failed") : null;
        break;
      case "AttemptStarted": {
        // A restarted attempt (after resume) starts clean.
        const a = attempt(x["attempt"]);
        Object.assign(a, { agent: null, diff: null, violations: [], findings: [], gates: [], outcome: null });
        break;
      }
      case "AgentFinished":
        attempt(x["attempt"]).agent = { status: str(x["status"]), detail: str(x["detail"]) };
        break;
      case "AgentEvent": {
        const ev = (x["event"] ?? {}) as Record<string, unknown>;
        if (ev["type"] === "usage") {
          s.usage.inputTokens += num(ev["inputTokens"]);
          s.usage.outputTokens += num(ev["outputTokens"]);
          s.usage.costUsd += num(ev["costUsd"]);
        }
        break;
      }
      case "ApprovalDecided":
        if (x["decision"] === "approve") s.approvals.approved++;
        else s.approvals.rejected++;
        break;
      case "DiffCaptured": {
        const a = attempt(x["attempt"]);
        a.diff = {
          files: Array.isArray(x["files"]) ? (x["files"] as NonNullable<AttemptState["diff"]>["files"]) : [],
          added: num(x["added"]),
          deleted: num(x["deleted"]),
          patchSha256: typeof x["patchSha256"] === "string" ? x["patchSha256"] : null,
          patchFile: typeof x["patchFile"] === "string" ? x["patchFile"] : null,
        };
        break;
      }
      case "WriteSetViolation":
        attempt(x["attempt"]).violations.push({ path: str(x["path"]), reason: str(x["reason"]) });
        break;
      case "SecurityFinding":
        attempt(x["attempt"]).findings.push({
          path: str(x["path"]),
          line: num(x["line"]),
          rule: str(x["rule"]),
        });
        break;
      case "GateStarted": {
        // A re-run of the same gate (after resume) replaces the earlier result.
        const a = attempt(x["attempt"]);
        a.gates = a.gates.filter((g) => g.name !== str(x["name"]));
        break;
      }
      case "GateResult": {
        const a = attempt(x["attempt"]);
        const g = (x["gate"] ?? {}) as GateOutcome;
        a.gates = a.gates.filter((y) => y.name !== g.name);
        a.gates.push(g);
        break;
      }
      case "AttemptFinished":
        attempt(x["attempt"]).outcome = str(x["outcome"]);
        break;
      case "RunInterrupted":
        s.interrupted = true;
        break;
      case "RunResumed":
        s.interrupted = false;
        s.resumes++;
        break;
      case "RunFinished":
        s.finished = {
          status: str(x["status"]) as RunStatus,
          reasons: Array.isArray(x["reasons"]) ? (x["reasons"] as unknown[]).map(String) : [],
          headCommit: typeof x["headCommit"] === "string" ? x["headCommit"] : null,
        };
        break;
      case "ProofWritten":
        s.proofWritten = true;
        break;
      case "Landed":
        s.landed = { commit: str(x["commit"]), fastForward: x["fastForward"] === true };
        break;
    }
  }
  return s;
}

/** Where a resumed run picks up, derived from the projection alone. */
export type ResumePoint =
  | { kind: "done" }
  | { kind: "workspace" }
  | { kind: "agent"; attempt: number; feedbackFrom: number | null }
  | { kind: "evaluate"; attempt: number }
  | { kind: "finalize" };

export function resumePoint(s: RunState): ResumePoint {
  // Writing the proof happens above this layer (the `finalize` hook of start/resume).
  if (s.finished) return { kind: "done" };
  if (!s.workspaceReady) return { kind: "workspace" };
  if (s.setupFailed) return { kind: "finalize" };
  const last = s.attempts[s.attempts.length - 1];
  if (!last) return { kind: "agent", attempt: 1, feedbackFrom: null };
  if (last.outcome === null) {
    // A turn that never ended, or was cancelled (Ctrl-C), is played again: an interrupt is not a failed attempt.
    return last.agent === null || last.agent.status === "cancelled"
      ? { kind: "agent", attempt: last.n, feedbackFrom: last.n > 1 ? last.n - 1 : null }
      : { kind: "evaluate", attempt: last.n };
  }
  if (last.outcome === "gates_failed" && last.n < s.maxAttempts) {
    return { kind: "agent", attempt: last.n + 1, feedbackFrom: last.n };
  }
  return { kind: "finalize" };
}

export function currentPhase(s: RunState): RunPhase {
  // Every resume point is named after the phase it resumes.
  return resumePoint(s).kind;
}
