import { OmkError } from "../core/errors.js";
import { VERSION } from "../core/version.js";
import type { AgentChoice } from "../journal/goal-events.js";
import { gatesAtCommit } from "../project/gates.js";
import { acquireLane, type LaneWorktree } from "../project/lane-pool.js";
import { KNOBS, readIntKnob } from "../security/bounded-env.js";
import { clearControl, watchControl } from "./control.js";
import { estimateWeight, TaskDag } from "./dag.js";
import { FreeLanes } from "./free-lanes.js";
import { integrateTask, outsideWriteSet, runIntegrationGates } from "./integrate.js";
import type { GoalJournal } from "./journal.js";
import { type LaneResult, type LaneRunOptions, runOnLane } from "./lane-run.js";
import { Leases } from "./leases.js";
import type { GoalLocation } from "./locate.js";
import { writeGoalProof } from "./proof.js";
import { recoverGoal } from "./recover.js";
import { Scheduler } from "./scheduler.js";
import { SettleQueue } from "./settle-queue.js";
import type { WarmLanes } from "./warm-lanes.js";

/** A task whose merge conflicts is re-run on the new integration head this many times, then blocked. */
export const MAX_CONFLICT_RETRIES = 1;
/** A task whose agent's lease expired runs again this many times, then is blocked. */
export const MAX_LEASE_RETRIES = 1;

export interface DriveGoalOptions extends LaneRunOptions {
  loc: GoalLocation;
  signal: AbortSignal;
  lanes: number;
  agent: AgentChoice;
  seed?: number | undefined;
  /** Lanes taken and reset while the goal was set up; the loop holds (and releases) them from here. */
  warm?: WarmLanes | undefined;
}

/**
 * The goal loop, from whatever the ledger says has happened (a fresh goal and a resumed one go the
 * same way): K lanes take tasks from the scheduler; each task is an omk run in its lane's pooled
 * worktree, from the current integration head; a ready run's commit is checked against the task's
 * write set and merged into the integration branch (one merge at a time: only this loop merges);
 * then the integration gates, the goal's status and its proof.
 */
export async function driveGoal(
  journal: GoalJournal,
  o: DriveGoalOptions,
): Promise<{ interrupted: boolean; paused: boolean }> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  o.signal.addEventListener("abort", onAbort, { once: true });
  // Each lane of this goal holds one of the project's pooled lane worktrees from its first task on.
  const held = new Map<number, Promise<LaneWorktree>>(o.warm?.worktrees ?? []);
  const laneOf = (lane: number): Promise<LaneWorktree> => {
    let w = held.get(lane);
    if (w === undefined) {
      w = acquireLane(o.project, lane);
      held.set(lane, w);
    }
    return w;
  };
  // `omk goal pause` lets the running tasks finish and starts no more; `omk goal cancel` stops them.
  let paused = false;
  let cancelled = false;
  const leases = new Leases(journal, readIntKnob(o.parentEnv, KNOBS.goalAgentLeaseSecs) * 1000);
  leases.start();
  const unwatch = watchControl(o.loc.dir, readIntKnob(o.parentEnv, KNOBS.goalInterruptPollMs), (action) => {
    if (action === "pause") paused = true;
    else {
      cancelled = true;
      stop.abort();
    }
  });
  try {
    await recoverGoal(journal, o);
    const s0 = journal.state;
    const dag = new TaskDag(
      s0.order.map((id) => s0.tasks.get(id)!.task),
      (t) => estimateWeight(t),
    );
    const sched = new Scheduler(dag, o.seed ?? 0);
    for (const id of s0.integrated) sched.integrated(id);
    for (const id of s0.order) if (s0.tasks.get(id)!.status === "blocked") sched.drop(id);

    const free = new FreeLanes(o.lanes);
    // Runs not yet handled, by task: a lane is free again as soon as its run is done with the
    // worktree (its proof may still be being written), so a task's run can outlive its lane's hold.
    const inflight = new Map<string, Promise<LaneResult>>();
    let halted: string | null = null;

    // A task that finished before a crash but was not integrated: integrate it now, without a re-run.
    for (const id of s0.order) {
      const t = s0.tasks.get(id)!;
      if (t.status === "finished" && sched.phase(id) === "ready") {
        sched.claim(id);
        halted ??= await settle(
          journal,
          o,
          sched,
          {
            lane: t.lane ?? 0,
            taskId: id,
            base: t.base ?? s0.head,
            runId: t.runIds.at(-1) ?? null,
            status: t.commit === null ? "not_ready" : "ready",
            commit: t.commit,
            touched: null,
            reasons: [],
            interrupted: false,
            leaseExpired: false,
            error: null,
          },
          true,
        );
      }
    }

    const fill = () => {
      for (const id of paused ? [] : sched.pick(free.count)) {
        const lane = free.take();
        const give = () => free.give(lane);
        const reset = o.warm?.takeReset(lane);
        inflight.set(id, runOnLane(journal, o, stop.signal, lane, laneOf(lane), id, leases, give, reset));
      }
    };
    // What a finished lane means for the goal (its merge above all) is settled one lane at a time, in
    // the order the lanes finished, but off the loop: a lane that finishes while another is being
    // merged takes its next task at once instead of after every merge queued before it.
    const settling = new SettleQueue();
    const enqueue = (work: () => Promise<string | null>) =>
      settling.push(async () => {
        // As before the queue: nothing is settled once the goal stops (recovery records what finished).
        if (halted !== null || stop.signal.aborted) return;
        halted = await work();
        if (halted !== null) stop.abort();
        fill();
      });
    while (halted === null && !stop.signal.aborted) {
      fill();
      if (inflight.size === 0 && settling.idle) break;
      const r = await Promise.race([...inflight.values(), settling.next(), free.next()]);
      settling.rethrow();
      if (r === null) continue;
      inflight.delete(r.taskId);
      if (stop.signal.aborted) continue;
      if (r.leaseExpired) {
        enqueue(async () => {
          await leaseExpired(journal, sched, r);
          return null;
        });
        continue;
      }
      if (r.interrupted) continue;
      // The freed lane takes work that does not wait for this task before the (serial) merge: the
      // finished task still counts as running for the scheduler, so nothing touching its files starts.
      fill();
      enqueue(() => settle(journal, o, sched, r, false));
    }
    await settling.drained();
    settling.rethrow();
    if (halted !== null) stop.abort();
    // Whatever still runs was interrupted: let each run record it before the goal does.
    await Promise.all(inflight.values());

    if (cancelled) {
      await journal.append("GoalFinished", {
        status: "cancelled",
        reasons: ["cancelled with omk goal cancel"],
        head: journal.state.head,
      });
      await writeGoalProof(journal, o.project, o.loc.proofFile, VERSION);
      return { interrupted: false, paused: false };
    }
    if (o.signal.aborted) {
      await journal.append("GoalInterrupted", { reason: "SIGINT" });
      return { interrupted: true, paused: false };
    }
    if (paused && halted === null && !sched.finished) {
      await journal.append("GoalPaused", { requestedAt: null });
      return { interrupted: false, paused: true };
    }
    await finishGoal(journal, o, halted);
    return { interrupted: false, paused: false };
  } finally {
    leases.stop();
    unwatch();
    await clearControl(o.loc.dir).catch(() => {});
    o.signal.removeEventListener("abort", onAbort);
    // The lanes stay for the project's next goal (reset, not checked out again); only the hold ends.
    for (const w of held.values()) await w.then((l) => l.release()).catch(() => {});
  }
}

/** A hung agent's task runs again (bounded), else it is blocked with what depends on it. */
async function leaseExpired(journal: GoalJournal, sched: Scheduler, r: LaneResult): Promise<void> {
  const expiries = journal.state.tasks.get(r.taskId)?.leaseExpiries ?? 1;
  if (expiries <= MAX_LEASE_RETRIES) {
    sched.requeue(r.taskId);
    await journal.append("TaskRequeued", {
      taskId: r.taskId,
      reason: `lease expired on run ${r.runId ?? "?"}`,
    });
    return;
  }
  const dropped = sched.drop(r.taskId).filter((id) => id !== r.taskId);
  await journal.append("TaskBlocked", {
    taskId: r.taskId,
    reason: `the agent's lease expired ${expiries} times (silent longer than OMK_GOAL_AGENT_LEASE_SECS)`,
    dropped,
  });
}

/**
 * What a finished lane means for the goal. Returns a reason when the whole goal must stop (the
 * integration branch moved outside omk), else null.
 */
async function settle(
  journal: GoalJournal,
  o: DriveGoalOptions,
  sched: Scheduler,
  r: LaneResult,
  recorded: boolean,
): Promise<string | null> {
  const root = o.project.root;
  const block = async (reason: string) => {
    const dropped = sched.drop(r.taskId).filter((id) => id !== r.taskId);
    await journal.append("TaskBlocked", { taskId: r.taskId, reason, dropped });
  };
  if (r.error !== null && r.runId === null) {
    await block(`the task's run could not start: ${r.error}`);
    return null;
  }
  const runId = r.runId ?? "";
  if (!recorded) {
    await journal.append("TaskFinished", {
      taskId: r.taskId,
      runId,
      status: r.error !== null ? "failed_infra" : (r.status ?? "unfinished"),
      commit: r.status === "ready" ? r.commit : null,
      reasons: r.error !== null ? [r.error] : r.reasons,
    });
  }
  if (r.error !== null || r.status !== "ready" || r.commit === null) {
    await block(
      `run ${runId} is ${r.status ?? "failed"}: ${r.error ?? (r.reasons.join("; ") || "no commit")}`,
    );
    return null;
  }
  const task = journal.state.tasks.get(r.taskId)!;
  const outside = await outsideWriteSet(root, r.base, r.commit, task.task.writeSet, r.touched);
  if (outside.length > 0) {
    await journal.append("WriteSetViolation", { taskId: r.taskId, runId, paths: outside });
    await block(
      `changed files outside its write set: ${outside.slice(0, 5).join(", ")}${outside.length > 5 ? ", …" : ""}`,
    );
    return null;
  }
  const retry = task.conflicts < MAX_CONFLICT_RETRIES;
  // A run that finished in this process made its commit on r.base itself; a recorded one is checked by git.
  const madeOn = recorded ? null : r.base;
  const outcome = await integrateTask(journal, root, r.taskId, runId, r.commit, retry, madeOn);
  if (outcome.kind === "merged") {
    sched.integrated(r.taskId);
    return null;
  }
  if (outcome.kind === "conflict") {
    if (retry) sched.requeue(r.taskId);
    else await block(`merging into the integration branch conflicts in: ${outcome.conflicts.join(", ")}`);
    return null;
  }
  const reason = `the integration branch ${journal.state.integrationBranch} moved outside omk (at ${outcome.found?.slice(0, 12) ?? "nothing"}, the ledger says ${journal.state.head.slice(0, 12)})`;
  await block(reason);
  return reason;
}

async function finishGoal(journal: GoalJournal, o: DriveGoalOptions, halted: string | null): Promise<void> {
  const s = journal.state;
  const open = s.order.filter((id) => s.tasks.get(id)!.status !== "integrated");
  let status: "ready" | "not_ready" | "blocked";
  const reasons: string[] = [];
  if (halted !== null) {
    status = "blocked";
    reasons.push(halted);
  } else if (open.length > 0) {
    status = "blocked";
    for (const id of open) reasons.push(`task ${id}: ${s.tasks.get(id)!.reason ?? s.tasks.get(id)!.status}`);
  } else {
    const gates = await gatesAtCommit(o.project.root, s.base, o.parentEnv);
    const project = { ...o.project, gates };
    const g = await runIntegrationGates(journal, project, o.signal);
    status = g.ok ? "ready" : "not_ready";
    if (!g.ok) reasons.push(`integration gates fail: ${g.failing.join(", ")}`);
  }
  if (s.rejected.length > 0)
    reasons.push(`${s.rejected.length} proposed task(s) rejected and left out (--accept-partial)`);
  await journal.append("GoalFinished", { status, reasons, head: journal.state.head });
  await writeGoalProof(journal, o.project, o.loc.proofFile, VERSION);
}

export function assertLanes(k: number): number {
  if (!Number.isInteger(k) || k < 1 || k > 32)
    throw new OmkError("USAGE", `--lanes must be an integer from 1 to 32, not ${k}`, {
      hint: "e.g. --lanes 4",
    });
  return k;
}
