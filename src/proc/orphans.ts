import { readdir, readFile, readlink } from "node:fs/promises";
import { sep } from "node:path";
import { signalGroup } from "./process-group.js";

/**
 * After omk itself was SIGKILLed its children live on (a kill -9 cannot be caught, and they run in
 * their own process groups). Before a run resumes or is cleaned up, stop the groups it recorded —
 * but only those that still have a member working inside the run's worktree, so a recycled pid or a
 * user's shell is never touched. Linux only (reads /proc); elsewhere this finds nothing.
 */
export async function killOrphanedGroups(
  recorded: readonly number[],
  worktree: string,
  opts: { graceMs?: number } = {},
): Promise<number[]> {
  const wanted = new Set(recorded.filter((g) => Number.isInteger(g) && g > 1 && g !== process.pid));
  if (wanted.size === 0) return [];
  let pids: string[];
  try {
    pids = (await readdir("/proc")).filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const doomed = new Set<number>();
  for (const pid of pids) {
    try {
      // Field 5 of /proc/<pid>/stat is the process group; the command name (field 2) may hold spaces.
      const stat = await readFile(`/proc/${pid}/stat`, "utf8");
      const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (!wanted.has(pgid) || doomed.has(pgid)) continue;
      const cwd = await readlink(`/proc/${pid}/cwd`);
      if (cwd === worktree || cwd.startsWith(worktree + sep)) doomed.add(pgid);
    } catch {
      // exited meanwhile, or not ours to inspect
    }
  }
  for (const g of doomed) signalGroup(g, "SIGTERM");
  if (doomed.size > 0) {
    await new Promise((r) => setTimeout(r, opts.graceMs ?? 500));
    for (const g of doomed) signalGroup(g, "SIGKILL");
  }
  return [...doomed];
}
