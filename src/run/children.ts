import { appendFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { killOrphanedGroups, onGroupRegistered } from "../proc/index.js";
import { PRIVATE_FILE_MODE } from "../store/private-fs.js";

const FILE = "children.pids";

/**
 * Records the process group of every child (agent, gate, setup) a run starts, synchronously, so
 * that a later resume or cleanup can stop what a SIGKILLed omk left running in the worktree.
 */
export function recordChildren(runDir: string): () => void {
  return onGroupRegistered((pgid) => {
    try {
      appendFileSync(join(runDir, FILE), `${pgid}\n`, { mode: PRIVATE_FILE_MODE });
    } catch {
      // best effort: losing this only weakens crash recovery
    }
  });
}

/** Stop the recorded groups that still work inside the worktree; returns the groups stopped. */
export async function reapOrphans(runDir: string, worktree: string): Promise<number[]> {
  const text = await readFile(join(runDir, FILE), "utf8").catch(() => "");
  const pgids = text.split("\n").filter(Boolean).map(Number);
  const killed = await killOrphanedGroups(pgids, worktree);
  await rm(join(runDir, FILE), { force: true });
  return killed;
}
