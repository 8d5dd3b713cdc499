import type { RunJournalEvent } from "../journal/events.js";
import type { LaneWorktree } from "../project/lane-pool.js";
import type { Project } from "../project/open.js";
import { startRun } from "../run/start.js";
import { touchedPaths } from "./integrate.js";
import type { GoalJournal } from "./journal.js";
import { laneEnv, prepareLane, taskPrompt } from "./lanes.js";
import type { Leases } from "./leases.js";
import type { WarmReset } from "./warm-lanes.js";

/** What a goal's lane runs with, of the goal's options. */
export interface LaneRunOptions {
  project: Project;
  cwd: string;
  parentEnv: Readonly<Record<string, string | undefined>>;
  maxAttempts?: number | undefined;
  portBase: number;
  portSpan: number;
  /** Each lane's run events as they happen (the live lanes view). */
  onRunEvent?: ((lane: number, taskId: string, e: RunJournalEvent) => void) | undefined;
}

export interface LaneResult {
  lane: number;
  taskId: string;
  base: string;
  runId: string | null;
  status: string | null;
  commit: string | null;
  /**
   * The paths the run's commit changed against `base` (both sides of a rename), as its last attempt's
   * diff recorded them for exactly the committed tree; null when that is not known, and git is asked.
   */
  touched: string[] | null;
  reasons: string[];
  interrupted: boolean;
  /** The agent went silent past its lease: the run was interrupted for it. */
  leaseExpired: boolean;
  error: string | null;
}

/**
 * One task as an omk run in the lane's pooled worktree, reset to the integration head first. The
 * result says how the run ended; errors are caught into it, so the goal loop decides what they mean.
 */
export async function runOnLane(
  journal: GoalJournal,
  o: LaneRunOptions,
  signal: AbortSignal,
  lane: number,
  worktree: Promise<LaneWorktree>,
  taskId: string,
  leases: Leases,
  /** Gives the lane back, once: when the run is done with the worktree, or when this returns. */
  giveBack: () => void,
  /** The lane's reset to `commit`, begun before the goal loop (warm-lanes.ts); true once it is done. */
  warmReset?: WarmReset | undefined,
): Promise<LaneResult> {
  let laneHeld = true;
  const release = () => {
    if (!laneHeld) return;
    laneHeld = false;
    giveBack();
  };
  const s = journal.state;
  const t = s.tasks.get(taskId)!;
  const base = s.head;
  const result: LaneResult = {
    lane,
    taskId,
    base,
    runId: null,
    status: null,
    commit: null,
    touched: null,
    reasons: [],
    interrupted: false,
    leaseExpired: false,
    error: null,
  };
  const lease = leases.hold(taskId, lane, signal);
  try {
    const dir = (await worktree).dir;
    // Awaited whatever the base: a reset still running there must end before another one starts.
    const warm = warmReset !== undefined && (await warmReset.done) && warmReset.commit === base;
    if (!warm) await prepareLane(o.project.root, dir, base);
    await journal.append("TaskClaimed", { taskId, lane, base, claim: t.claims + 1 });
    let started: Promise<unknown> = Promise.resolve();
    const outcome = await startRun({
      cwd: o.cwd,
      parentEnv: laneEnv(o.parentEnv, lane, o.portBase, o.portSpan, s.goalId, taskId),
      signal: lease.signal,
      onEvent: (e) => {
        lease.onRunEvent(e);
        o.onRunEvent?.(lane, taskId, e);
      },
      ask: null,
      task: taskPrompt(t.task),
      agent: s.agent.name,
      agentBin: s.agent.bin ?? undefined,
      agentArgs: s.agent.args,
      model: s.agent.model ?? undefined,
      maxAttempts: o.maxAttempts,
      sandbox: s.sandbox ?? undefined,
      network: s.network ?? undefined,
      base,
      baseResolved: true,
      worktree: dir,
      worktreeJustReset: true,
      project: o.project,
      onWorktreeDone: release,
      gateSlot: lane,
      onRunId: (loc) => {
        result.runId = loc.runId;
        started = journal.append("TaskRunStarted", { taskId, runId: loc.runId, lane });
      },
    });
    await started;
    result.interrupted = outcome.interrupted;
    const fin = outcome.state.finished;
    result.status = fin?.status ?? null;
    result.commit = fin?.headCommit ?? null;
    result.reasons = fin?.reasons ?? [];
    const last = outcome.state.attempts.at(-1);
    const committed = outcome.state.committed;
    if (committed?.tree && committed.parent === base && last?.diff && last.tree === committed.tree)
      result.touched = touchedPaths(last.diff.files);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  } finally {
    result.leaseExpired = lease.expired;
    lease.release();
    release();
  }
  return result;
}
