import type { AgentChoice, GoalJournalEvent, GoalStatus } from "../journal/goal-events.js";
import type { GoalTask } from "./proposals.js";

export type TaskStatus = "pending" | "running" | "finished" | "integrated" | "blocked";

export interface GoalTaskState {
  task: GoalTask;
  status: TaskStatus;
  /** Runs of this task, oldest first (a conflict or a crash re-runs it). */
  runIds: string[];
  lane: number | null;
  claims: number;
  /** The integration head the current claim started from. */
  base: string | null;
  /** The ready run's commit, once it finished. */
  commit: string | null;
  conflicts: number;
  leaseExpiries: number;
  startedAt: string | null;
  endedAt: string | null;
  reason: string | null;
}

export interface GoalState {
  goalId: string;
  goal: string;
  root: string;
  base: string;
  baseBranch: string | null;
  integrationBranch: string;
  lanes: number;
  agent: AgentChoice;
  planner: AgentChoice | null;
  acceptPartial: boolean;
  portBase: number;
  portSpan: number;
  maxAttempts: number | null;
  sandbox: "auto" | "required" | "off" | null;
  network: "none" | "host" | null;
  startedAt: string;
  /** The plan as PlanReceived announced it; null before. */
  plan: { sha256: string; accepted: number | null; rejected: number | null } | null;
  tasks: Map<string, GoalTaskState>;
  order: string[];
  rejected: { id: string; index: number; rule: string; detail: string }[];
  /** The integration branch as omk last moved it. */
  head: string;
  integrated: string[];
  /** The integration gates' result, and how they were confined (null: an older omk did not say). */
  gates: { ok: boolean; head: string; confinement: "bwrap" | "none" | null } | null;
  finished: { status: GoalStatus; reasons: string[]; head: string; ts: string } | null;
  proofSha256: string | null;
  accepted: { commit: string; onto: string | null } | null;
  rejectedByUser: string | null;
  /** Paused (`omk goal pause`) and not resumed since. */
  paused: boolean;
  lastTs: string;
}

export function initialGoalState(e: GoalJournalEvent & { kind: "GoalStarted" }): GoalState {
  const d = e.data;
  return {
    goalId: d.goalId,
    goal: d.goal,
    root: d.root,
    base: d.base,
    baseBranch: d.baseBranch,
    integrationBranch: d.integrationBranch,
    lanes: d.lanes,
    agent: d.agent,
    planner: d.planner,
    acceptPartial: d.acceptPartial,
    portBase: d.portBase,
    portSpan: d.portSpan,
    maxAttempts: d.maxAttempts,
    sandbox: d.sandbox ?? null,
    network: d.network ?? null,
    startedAt: e.ts,
    plan: null,
    tasks: new Map(),
    order: [],
    rejected: [],
    head: d.base,
    integrated: [],
    gates: null,
    finished: null,
    proofSha256: null,
    accepted: null,
    rejectedByUser: null,
    paused: false,
    lastTs: e.ts,
  };
}

export function applyGoalEvent(s: GoalState, e: GoalJournalEvent): void {
  s.lastTs = e.ts;
  const task = (id: string) => s.tasks.get(id);
  switch (e.kind) {
    case "PlanReceived":
      s.plan = {
        sha256: e.data.sha256,
        accepted: e.data.accepted ?? null,
        rejected: e.data.rejected ?? null,
      };
      break;
    case "TaskAccepted": {
      const t = e.data.task;
      const gt: GoalTask = {
        id: t.id,
        title: t.title,
        prompt: t.prompt,
        deps: t.deps,
        readSet: t.readSet,
        writeSet: t.writeSet,
      };
      s.tasks.set(t.id, {
        task: gt,
        status: "pending",
        runIds: [],
        lane: null,
        claims: 0,
        base: null,
        commit: null,
        conflicts: 0,
        leaseExpiries: 0,
        startedAt: null,
        endedAt: null,
        reason: null,
      });
      s.order.push(t.id);
      break;
    }
    case "TaskRejected":
      s.rejected.push({ id: e.data.id, index: e.data.index, rule: e.data.rule, detail: e.data.detail });
      break;
    case "TaskClaimed": {
      const t = task(e.data.taskId);
      if (!t) break;
      t.status = "running";
      t.lane = e.data.lane;
      t.claims = e.data.claim;
      t.base = e.data.base;
      t.commit = null;
      t.startedAt = e.ts;
      t.endedAt = null;
      break;
    }
    case "TaskRunStarted":
      task(e.data.taskId)?.runIds.push(e.data.runId);
      break;
    case "TaskFinished": {
      const t = task(e.data.taskId);
      if (!t) break;
      t.status = "finished";
      t.commit = e.data.commit;
      t.endedAt = e.ts;
      break;
    }
    case "LeaseExpired": {
      const t = task(e.data.taskId);
      if (t) t.leaseExpiries++;
      break;
    }
    case "TaskRequeued": {
      const t = task(e.data.taskId);
      if (t && t.status !== "integrated") t.status = "pending";
      break;
    }
    case "IntegrationConflict": {
      const t = task(e.data.taskId);
      if (t) {
        t.conflicts++;
        if (e.data.retry) t.status = "pending";
      }
      break;
    }
    case "IntegrationMerged": {
      const t = task(e.data.taskId);
      if (t) t.status = "integrated";
      s.head = e.data.head;
      s.integrated.push(e.data.taskId);
      break;
    }
    case "TaskBlocked":
      for (const id of [e.data.taskId, ...e.data.dropped]) {
        const t = task(id);
        if (t && t.status !== "integrated") {
          t.status = "blocked";
          t.reason = id === e.data.taskId ? e.data.reason : `depends on blocked task ${e.data.taskId}`;
        }
      }
      break;
    case "IntegrationGates":
      s.gates = { ok: e.data.ok, head: e.data.head, confinement: e.data.confinement ?? null };
      break;
    case "GoalFinished":
      s.finished = { status: e.data.status, reasons: e.data.reasons, head: e.data.head, ts: e.ts };
      break;
    case "GoalProofWritten":
      s.proofSha256 = e.data.sha256;
      break;
    case "GoalAccepted":
      s.accepted = { commit: e.data.commit, onto: e.data.onto };
      break;
    case "GoalPaused":
      s.paused = true;
      break;
    case "GoalResumed":
      s.paused = false;
      break;
    case "GoalRejected":
      s.rejectedByUser = e.data.reason;
      break;
    default:
      break;
  }
}

/** Every task of the plan is recorded (accepted or rejected): the goal can be driven. */
export function planComplete(s: GoalState): boolean {
  if (s.plan === null) return false;
  // A ledger from before the counts were recorded: its verdicts are taken as complete.
  if (s.plan.accepted === null || s.plan.rejected === null) return true;
  return s.order.length === s.plan.accepted && s.rejected.length === s.plan.rejected;
}
