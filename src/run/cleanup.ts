import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { pruneWorktrees } from "../git/worktree.js";
import { RunJournal, readRunJournal } from "../journal/run-journal.js";
import { gateWorkspaceDirs } from "../project/gate-workspace.js";
import { listRunIds, type ProjectLocation, runLocation } from "../project/locate.js";
import { removeWorktreeDir, THROWAWAY_PREFIXES } from "../project/throwaway.js";
import { reapOrphans } from "./children.js";

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
  for (const id of await listRunIds(project)) {
    const loc = runLocation(project, id);
    const hasWorktree = (await lstat(loc.worktree).catch(() => null)) !== null;
    let s: Awaited<ReturnType<typeof readRunJournal>>["state"];
    try {
      s = (await readRunJournal(loc.dir)).state;
    } catch {
      continue;
    }
    if (s === null) continue;
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
      await reapOrphans(loc.dir, [loc.worktree, ...(await gateWorkspaceDirs(project.root))]);
      // Open (which recovers a torn tail and a stale lock) and record why the run ends here.
      const journal = await RunJournal.open(loc.dir, id);
      try {
        if (!s.interrupted)
          await journal.append("RunInterrupted", { phase: "unknown", attempt: null, reason: "cleanup" });
      } finally {
        await journal.close();
      }
      action = "recovered";
    }
    if (!hasWorktree) continue;
    await removeWorktreeDir(project.root, loc.worktree);
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
      await removeWorktreeDir(project.root, join(wtRoot, name));
    }
  }
  await pruneWorktrees(project.root);
  return items;
}
