import { lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { git, pruneWorktrees } from "../git/index.js";
import { readLedger } from "../store/ledger/index.js";
import { reapOrphans } from "./children.js";
import { RunEvent } from "./events.js";
import { openRunLedger } from "./ledger.js";
import { listRunIds, type ProjectLocation, runLocation } from "./locate.js";
import { projectRun } from "./state.js";
import { THROWAWAY_PREFIXES } from "./throwaway.js";

export interface CleanupItem {
  runId: string;
  action: "removed" | "kept" | "recovered";
  reason: string;
}

/**
 * Remove finished runs' worktrees (branches, ledgers and proofs stay: they are the record).
 * Unfinished runs are kept for `run resume` unless `all`, in which case they are closed as
 * interrupted first, so a crashed run never leaves a ledger without an ending.
 */
export async function cleanupRuns(project: ProjectLocation, opts: { all: boolean }): Promise<CleanupItem[]> {
  const items: CleanupItem[] = [];
  const g = git(project.root);
  for (const id of await listRunIds(project)) {
    const loc = runLocation(project, id);
    const hasWorktree = (await lstat(loc.worktree).catch(() => null)) !== null;
    let events: Awaited<ReturnType<typeof readLedger>>["events"];
    try {
      events = (await readLedger(loc.dir)).events;
    } catch {
      continue;
    }
    if (events.length === 0) continue;
    const s = projectRun(events);
    if (!s.finished && !opts.all) {
      if (hasWorktree)
        items.push({
          runId: id,
          action: "kept",
          reason: "unfinished: resume it with `omk run resume`, or pass --all",
        });
      continue;
    }
    let action: CleanupItem["action"] = "removed";
    if (!s.finished) {
      await reapOrphans(loc.dir, loc.worktree);
      // Open (which recovers a torn tail and a stale lock) and record why the run ends here.
      const ledger = await openRunLedger(loc.dir, id);
      try {
        if (!s.interrupted)
          await ledger.append({
            kind: RunEvent.RunInterrupted,
            data: { phase: "unknown", attempt: null, reason: "cleanup" },
          });
      } finally {
        await ledger.close();
      }
      action = "recovered";
    }
    if (!hasWorktree) continue;
    await g(["worktree", "remove", "--force", loc.worktree], { allowFail: true });
    await rm(loc.worktree, { recursive: true, force: true });
    items.push({
      runId: id,
      action,
      reason: s.finished ? `run ${s.finished.status}` : "unfinished run closed as interrupted",
    });
  }
  // Throwaway worktrees of an interrupted `proof verify` or `land`.
  const wtRoot = join(project.root, ".omk", "worktrees");
  for (const name of await readdir(wtRoot).catch(() => [] as string[])) {
    if (THROWAWAY_PREFIXES.some((p) => name.startsWith(`${p}-`)) || name.endsWith(".replay.patch")) {
      await g(["worktree", "remove", "--force", join(wtRoot, name)], { allowFail: true });
      await rm(join(wtRoot, name), { recursive: true, force: true });
    }
  }
  await pruneWorktrees(project.root);
  return items;
}
