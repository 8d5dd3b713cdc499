import { basename } from "node:path";
import type { ExecutionMode } from "../policy/execution-mode.js";
import type {
  AttemptOutcome,
  GateRecord,
  RunEventData,
  RunJournalEvent,
  RunStatus,
  TypedEvent,
} from "./events.js";

export type TurnStatus = RunEventData<"AgentFinished">["status"];

export interface AttemptState {
  n: number;
  /** The tree this attempt was judged on (Snapshot), null before it. */
  tree: string | null;
  /** The gate workspace's setup failed on this attempt's tree. */
  setupFailed: string | null;
  agent: { status: TurnStatus; detail: string } | null;
  diff: {
    files: {
      path: string;
      /** A rename's or copy's source. */
      oldPath?: string;
      status: string;
      added: number | null;
      deleted: number | null;
    }[];
    added: number;
    deleted: number;
    patchSha256: string | null;
    patchFile: string | null;
    patchBytes: number | null;
  } | null;
  violations: { path: string; reason: string }[];
  /** Protected paths changed with the person's permission. */
  allowed: { path: string; glob: string }[];
  /** What changed in the repository outside the worktree (RepoTampered). */
  tampered: string[];
  /**
   * Changes outside the worktree that blocked this attempt until the person said they made them
   * (`run resume --accept-outside-changes`); the attempt was then judged again.
   */
  acceptedOutside: string[];
  /** Changes outside the worktree while the attempt was confined, where its sandbox could not write (OutsideChanged). */
  outsideWhileConfined: string[];
  /** `preview` is the redacted line, or for `unscannable` why the path could not be scanned. */
  findings: { path: string; line: number; rule: string; preview?: string | undefined }[];
  gates: GateRecord[];
  outcome: AttemptOutcome | null;
  /** The agent's text output: counted from AgentOutput batches, then as saved (AgentOutputSaved). */
  output: AttemptOutput | null;
}

export interface AttemptOutput {
  /** Redacted lines and bytes the agent printed so far (the batches recorded; the total once saved). */
  lines: number;
  bytes: number;
  batches: number;
  saved: { file: string; sha256: string; bytes: number; cutBytes: number } | null;
}

export interface Confinement {
  attempt: number;
  mode: "bwrap" | "none";
  requested: "auto" | "required" | "off";
  network: "none" | "host";
  reason?: string;
}

export interface RunState {
  runId: string;
  task: string;
  root: string;
  base: string;
  baseBranch: string | null;
  branch: string;
  worktree: string;
  agent: { name: string; bin: string | null; args: string[]; model: string | null; version: string | null };
  execution: ExecutionMode;
  maxAttempts: number;
  allowPaths: string[];
  omkVersion: string | null;
  startedAt: string;
  workspaceReady: boolean;
  setupFailed: string | null;
  attempts: AttemptState[];
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
  approvals: { approved: number; rejected: number };
  interrupted: boolean;
  resumes: number;
  /**
   * The last attempt before the run was last reopened with a new budget (RunReopened), null if never:
   * the attempt after it is played whatever its outcome was.
   */
  reopenedAfter: number | null;
  finished: { status: RunStatus; reasons: string[]; headCommit: string | null } | null;
  /** omk's commit of the judged tree (Committed), null when none was made. */
  committed: { commit: string; tree: string | null; parent: string | null } | null;
  proofWritten: boolean;
  landed: { commit: string; fastForward: boolean } | null;
  /** How the last agent turn was confined (the last Confinement event), null before any. */
  confinement: Confinement | null;
  lastTs: string;
  events: number;
}

/**
 * A goal's task: its run worked in one of the project's pooled lane worktrees (`lane-N`), not in a
 * worktree of its own (named after the run); the lane moves on to other tasks, of its goal or the next.
 */
export function ranInGoalLane(s: RunState): boolean {
  return basename(s.worktree) !== s.runId;
}

/** The state right after RunStarted. */
export function initialRunState(first: TypedEvent<"RunStarted">): RunState {
  const d = first.data;
  return {
    runId: d.runId,
    task: d.task,
    root: d.root,
    base: d.base,
    baseBranch: d.baseBranch,
    branch: d.branch,
    worktree: d.worktree,
    agent: { name: d.agent.name, bin: d.agent.bin, args: d.agent.args, model: d.agent.model, version: null },
    execution: d.execution,
    maxAttempts: d.maxAttempts,
    allowPaths: d.allowPaths ?? [],
    omkVersion: d.omkVersion,
    startedAt: first.ts,
    workspaceReady: false,
    setupFailed: null,
    attempts: [],
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    approvals: { approved: 0, rejected: 0 },
    interrupted: false,
    resumes: 0,
    reopenedAfter: null,
    finished: null,
    committed: null,
    proofWritten: false,
    landed: null,
    confinement: null,
    lastTs: first.ts,
    events: 1,
  };
}

function freshAttempt(n: number): AttemptState {
  return {
    n,
    tree: null,
    setupFailed: null,
    agent: null,
    diff: null,
    violations: [],
    allowed: [],
    tampered: [],
    acceptedOutside: [],
    outsideWhileConfined: [],
    findings: [],
    gates: [],
    outcome: null,
    output: null,
  };
}

function attemptOf(s: RunState, n: number): AttemptState {
  let a = s.attempts.find((x) => x.n === n);
  if (!a) {
    a = freshAttempt(n);
    s.attempts.push(a);
    s.attempts.sort((x, y) => x.n - y.n);
  }
  return a;
}

/** Folds one event into the state (in place); the journal calls this on every append. */
export function applyRunEvent(s: RunState, e: RunJournalEvent): void {
  s.lastTs = e.ts;
  s.events++;
  switch (e.kind) {
    case "WorkspaceReady":
      // Individual WorkspaceSetup steps are informational; this event carries the verdict.
      s.workspaceReady = true;
      s.setupFailed = e.data.setupOk ? null : e.data.setupDetail || "workspace setup failed";
      break;
    case "AttemptStarted":
      // A restarted attempt (after resume) starts clean.
      Object.assign(attemptOf(s, e.data.attempt), freshAttempt(e.data.attempt));
      break;
    case "AgentStarted":
      if (e.data.version) s.agent.version = e.data.version;
      break;
    case "Snapshot":
      attemptOf(s, e.data.attempt).tree = e.data.tree;
      break;
    case "GateWorkspaceReady":
      attemptOf(s, e.data.attempt).setupFailed = e.data.ok ? null : e.data.detail || "setup failed";
      break;
    case "AgentFinished":
      attemptOf(s, e.data.attempt).agent = { status: e.data.status, detail: e.data.detail };
      break;
    case "AgentEvent": {
      const ev = e.data.event;
      if (ev.type === "usage") {
        s.usage.inputTokens += finite(ev.inputTokens);
        s.usage.outputTokens += finite(ev.outputTokens);
        s.usage.costUsd += finite(ev.costUsd);
      }
      break;
    }
    case "AgentOutput": {
      const a = attemptOf(s, e.data.attempt);
      a.output ??= { lines: 0, bytes: 0, batches: 0, saved: null };
      const o = a.output;
      o.lines += e.data.lines;
      o.bytes += e.data.bytes;
      o.batches++;
      break;
    }
    case "AgentOutputSaved":
      attemptOf(s, e.data.attempt).output = {
        lines: e.data.lines,
        bytes: e.data.seenBytes,
        batches: e.data.batches,
        saved: { file: e.data.file, sha256: e.data.sha256, bytes: e.data.bytes, cutBytes: e.data.cutBytes },
      };
      break;
    case "ApprovalDecided":
      if (e.data.decision === "approve") s.approvals.approved++;
      else s.approvals.rejected++;
      break;
    case "DiffCaptured":
      attemptOf(s, e.data.attempt).diff = {
        files: e.data.files.map((f) => ({
          path: f.path,
          ...(f.oldPath ? { oldPath: f.oldPath } : {}),
          status: f.status,
          added: f.added,
          deleted: f.deleted,
        })),
        added: e.data.added,
        deleted: e.data.deleted,
        patchSha256: e.data.patchSha256,
        patchFile: e.data.patchFile,
        patchBytes: e.data.patchBytes,
      };
      break;
    case "WriteSetViolation":
      attemptOf(s, e.data.attempt).violations.push({ path: e.data.path, reason: e.data.reason });
      break;
    case "RepoTampered":
      attemptOf(s, e.data.attempt).tampered.push(...e.data.changes);
      break;
    case "OutsideChanged":
      attemptOf(s, e.data.attempt).outsideWhileConfined.push(...e.data.changes);
      break;
    case "PathAllowed":
      attemptOf(s, e.data.attempt).allowed.push({ path: e.data.path, glob: e.data.glob });
      break;
    case "SecurityFinding":
      attemptOf(s, e.data.attempt).findings.push({
        path: e.data.path,
        line: e.data.line,
        rule: e.data.rule,
        preview: e.data.preview,
      });
      break;
    case "GateStarted": {
      // A re-run of the same gate (after resume) replaces the earlier result.
      const a = attemptOf(s, e.data.attempt);
      a.gates = a.gates.filter((g) => g.name !== e.data.name);
      break;
    }
    case "GateResult": {
      const a = attemptOf(s, e.data.attempt);
      a.gates = a.gates.filter((g) => g.name !== e.data.gate.name);
      a.gates.push(e.data.gate);
      break;
    }
    case "AttemptFinished":
      attemptOf(s, e.data.attempt).outcome = e.data.outcome;
      break;
    case "RunInterrupted":
      s.interrupted = true;
      break;
    case "RunResumed":
      s.interrupted = false;
      s.resumes++;
      break;
    case "RunReopened":
      // The earlier ending and its proof are superseded; the run goes on from its last attempt.
      s.finished = null;
      s.proofWritten = false;
      s.interrupted = false;
      s.maxAttempts = e.data.maxAttempts;
      if (e.data.acceptedOutside) {
        // The blocked attempt is judged again, from its snapshot on: what its turn left stays, what
        // judging it found before is superseded.
        const a = attemptOf(s, e.data.acceptedOutside.attempt);
        Object.assign(a, {
          ...freshAttempt(a.n),
          agent: a.agent,
          output: a.output,
          outsideWhileConfined: a.outsideWhileConfined,
          acceptedOutside: [...a.acceptedOutside, ...e.data.acceptedOutside.changes],
        });
      } else s.reopenedAfter = s.attempts.at(-1)?.n ?? 0;
      if (e.data.agent) s.agent = { ...e.data.agent, version: null };
      if (e.data.rebuildWorkspace) s.workspaceReady = false;
      break;
    case "RunFinished":
      s.finished = { status: e.data.status, reasons: e.data.reasons, headCommit: e.data.headCommit };
      break;
    case "ProofWritten":
      s.proofWritten = true;
      break;
    case "Confinement":
      s.confinement = {
        attempt: e.data.attempt,
        mode: e.data.mode,
        requested: e.data.requested,
        network: e.data.network,
        ...(e.data.reason === undefined ? {} : { reason: e.data.reason }),
      };
      break;
    case "Landed":
      s.landed = { commit: e.data.commit, fastForward: e.data.fastForward };
      break;
    case "Committed": {
      const { commit, tree, parent } = e.data as { commit: string | null; tree?: string; parent?: string };
      s.committed = commit === null ? null : { commit, tree: tree ?? null, parent: parent ?? null };
      break;
    }
    // RunStarted only opens a ledger (initialRunState); WorkspaceSetup steps are progress only.
    case "RunStarted":
    case "WorkspaceSetup":
    case "ApprovalAsked":
    case "AgentStopped":
      break;
  }
}

/** Fold a whole run's events (RunStarted first) into its state. */
export function projectRun(events: readonly RunJournalEvent[]): RunState {
  const [first, ...rest] = events;
  if (first?.kind !== "RunStarted") throw new Error("ledger does not start with RunStarted");
  const s = initialRunState(first);
  for (const e of rest) applyRunEvent(s, e);
  return s;
}

function finite(v: number | null | undefined): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}
