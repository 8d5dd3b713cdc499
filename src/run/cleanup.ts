import { lstat, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { idTime } from "../core/ids.js";
import { branchExists, deleteBranch } from "../git/refs.js";
import { pruneWorktrees } from "../git/worktree.js";
import { RunJournal, readRunJournal } from "../journal/run-journal.js";
import type { RunState } from "../journal/state.js";
import { gateWorkspaceDirs, removeIdleGateWorkspaces } from "../project/gate-workspace.js";
import { removeIdleLanes } from "../project/lane-pool.js";
import { listRunIds, type ProjectLocation, runCheckout, runLocation } from "../project/locate.js";
import type { SlotRemoval } from "../project/slots.js";
import { removeWorktreeAndBranch, removeWorktreeDir, THROWAWAY_PREFIXES } from "../project/throwaway.js";
import { EVENTS_FILE } from "../store/ledger/format.js";
import { acquireLedgerLock, type LedgerLock } from "../store/ledger/lock.js";
import { reapOrphans } from "./children.js";
import { LIVE_FILE, runLiveness } from "./live.js";

export interface CleanupItem {
  runId: string;
  action: "removed" | "kept" | "recovered";
  reason: string;
}

export interface BranchItem {
  runId: string;
  branch: string;
  action: "deleted" | "kept";
  reason: string;
}

export interface CleanupResult {
  /** Worktrees removed or kept. */
  items: CleanupItem[];
  /** Run branches deleted or kept (only with `branches`). */
  branches: BranchItem[];
}

export interface CleanupOptions {
  /** Also close unfinished runs that no omk is driving (crashed or interrupted) and remove their worktrees. */
  all: boolean;
  /** Also delete the branches of landed and abandoned (finished, not ready) runs. */
  branches?: boolean | undefined;
  /** With `branches`: delete the branches of ready runs that never landed too. */
  force?: boolean | undefined;
}

/**
 * Remove finished runs' worktrees (branches, ledgers and proofs stay: they are the record).
 * Unfinished runs are kept for `run resume` unless `all`, in which case they are closed as
 * interrupted first, so a crashed run never leaves a ledger without an ending. A run some omk is
 * driving right now is never touched.
 */
export async function cleanupRuns(project: ProjectLocation, opts: CleanupOptions): Promise<CleanupResult> {
  const items: CleanupItem[] = [];
  const branches: BranchItem[] = [];
  for (const id of await listRunIds(project)) {
    const loc = runLocation(project, id);
    if (await isLeftover(loc.dir)) {
      items.push(opts.all ? await removeLeftover(loc.dir, id) : { runId: id, ...LEFTOVER_KEPT });
      continue;
    }
    const hasWorktree = (await lstat(loc.worktree).catch(() => null)) !== null;
    let s: RunState | null;
    try {
      s = (await readRunJournal(loc.dir)).state;
    } catch {
      continue;
    }
    if (s === null) continue;
    if (!s.finished && !s.interrupted) {
      const live = await runLiveness(loc.dir);
      if (live.state === "running") {
        items.push({ runId: id, action: "kept", reason: `running (pid ${live.pid}, ${live.phase})` });
        if (opts.branches) branches.push(branchItem(s, "kept", "the run is running"));
        continue;
      }
    }
    if (!s.finished && !opts.all) {
      if (hasWorktree)
        items.push({
          runId: id,
          action: "kept",
          reason: "unfinished: resume it with `omk run resume`, or pass --all",
        });
      if (opts.branches) branches.push(branchItem(s, "kept", "unfinished: resume it, or omk run rm it"));
      continue;
    }
    let action: CleanupItem["action"] = "removed";
    if (!s.finished) {
      // Where the run worked: its own worktree, or the goal lane it recorded (never removed here).
      await reapOrphans(loc.dir, [s.worktree, ...(await gateWorkspaceDirs(project.root))]);
      // Open (which recovers a torn tail and a stale lock) and record why the run ends here.
      const journal = await RunJournal.open(loc.dir, id);
      try {
        if (!s.interrupted)
          await journal.append("RunInterrupted", { phase: "unknown", attempt: null, reason: "cleanup" });
      } finally {
        await journal.close();
      }
      await rm(join(loc.dir, LIVE_FILE), { force: true });
      action = "recovered";
    }
    if (hasWorktree) await removeWorktreeDir(project.root, loc.worktree);
    // A run closed just now is reported even when it has no worktree of its own (a goal's task).
    if (hasWorktree || (action === "recovered" && !s.interrupted)) {
      items.push({
        runId: id,
        action,
        reason: s.finished ? `run ${s.finished.status}` : "unfinished run closed as interrupted",
      });
    }
    if (opts.branches) {
      const b = await pruneBranch(project.root, s, opts.force === true);
      if (b) branches.push(b);
    }
  }
  // Throwaway worktrees of an interrupted `proof verify` or `land`.
  const wtRoot = join(project.root, ".omk", "worktrees");
  const runIds = new Set(await listRunIds(project));
  for (const name of await readdir(wtRoot).catch(() => [] as string[])) {
    if (THROWAWAY_PREFIXES.some((p) => name.startsWith(`${p}-`)) || name.endsWith(".replay.patch")) {
      await removeWorktreeDir(project.root, join(wtRoot, name));
    } else if (opts.all && !runIds.has(name) && isStaleEarlyWorktree(name)) {
      items.push(await removeEarlyWorktree(project.root, join(wtRoot, name), name));
    }
  }
  await pruneWorktrees(project.root);
  return { items, branches };
}

/**
 * A run's worktree checked out before its run existed (`omk run` does that while it loads) whose omk
 * was killed before the run's record was made: nobody can resume it. Only once it is a minute old,
 * so that an `omk run` starting right now keeps its own.
 */
const EARLY_WORKTREE_GRACE_MS = 60_000;

function isStaleEarlyWorktree(name: string): boolean {
  if (!name.startsWith("run-")) return false;
  const made = idTime(name);
  return made !== null && Date.now() - made > EARLY_WORKTREE_GRACE_MS;
}

async function removeEarlyWorktree(root: string, dir: string, runId: string): Promise<CleanupItem> {
  await removeWorktreeAndBranch(root, dir, runCheckout(root, runId).branch);
  return { runId, action: "removed", reason: "the worktree of a run that never started (omk was stopped)" };
}

/**
 * The project's pooled checkouts that no run or goal holds: gate workspaces (with whatever
 * `[workspace] setup` installed) and goal lanes. Each is created again when next needed.
 */
export async function cleanupWorkspaces(project: ProjectLocation): Promise<SlotRemoval[]> {
  const removed = [...(await removeIdleGateWorkspaces(project)), ...(await removeIdleLanes(project))];
  await pruneWorktrees(project.root).catch(() => {});
  return removed;
}

const LEFTOVER_KEPT = {
  action: "kept",
  reason: "no ledger: left by a run that never started (an older omk); --all removes it",
} as const;

/**
 * A run dir with no ledger, or an empty one: an older omk created it before the agent failed to
 * resolve. It holds no record, but it counts as a run for `last` and for id prefixes.
 */
async function isLeftover(dir: string): Promise<boolean> {
  const st = await stat(join(dir, EVENTS_FILE)).catch(() => null);
  return st === null || st.size === 0;
}

/** Removes a leftover under its ledger lock, so a run being created right now is never taken for one. */
async function removeLeftover(dir: string, runId: string): Promise<CleanupItem> {
  let lock: LedgerLock;
  try {
    lock = await acquireLedgerLock(dir, { waitMs: 0 });
  } catch {
    return { runId, action: "kept", reason: "no ledger yet, and its lock is held: a run being created" };
  }
  try {
    if (!(await isLeftover(dir))) return { runId, action: "kept", reason: "its ledger appeared: a new run" };
    await rm(dir, { recursive: true, force: true });
    return { runId, action: "removed", reason: "no ledger: left by a run that never started" };
  } finally {
    await lock.release().catch(() => {});
  }
}

function branchItem(s: RunState, action: BranchItem["action"], reason: string): BranchItem {
  return { runId: s.runId, branch: s.branch, action, reason };
}

/**
 * Which run branches go: landed runs' (the change is on the base branch) and abandoned ones' (finished,
 * not ready). A ready run that never landed is work nobody took yet: kept unless `force`.
 */
export function branchVerdict(s: RunState, force: boolean): { delete: boolean; reason: string } {
  if (s.landed) return { delete: true, reason: `landed as ${s.landed.commit.slice(0, 12)}` };
  if (!s.finished) return { delete: false, reason: "unfinished: resume it, or omk run rm it" };
  if (s.finished.status !== "ready") return { delete: true, reason: `abandoned: ${s.finished.status}` };
  return force
    ? { delete: true, reason: "ready but never landed (--force)" }
    : { delete: false, reason: `ready and not landed: omk land ${s.runId}, or pass --force to delete it` };
}

async function pruneBranch(root: string, s: RunState, force: boolean): Promise<BranchItem | null> {
  if (!(await branchExists(root, s.branch))) return null;
  const v = branchVerdict(s, force);
  if (!v.delete) return branchItem(s, "kept", v.reason);
  await deleteBranch(root, s.branch, { force: true });
  return branchItem(s, "deleted", v.reason);
}
