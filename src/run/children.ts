import { appendFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { ProcessContext } from "../proc/context.js";
import { killOrphanedGroups } from "../proc/orphans.js";
import { PRIVATE_FILE_MODE } from "../store/private-fs.js";

/** Process groups a run started, one per line, for crash recovery. */
const CHILDREN_FILE = "children.pids";

/**
 * The run's own process context: the group of every child it starts (agent, gate, setup) is
 * appended to its children.pids synchronously, so a later resume or cleanup can stop what a
 * SIGKILLed omk left running in the worktree — and never another run's processes.
 */
export function runProcessContext(runDir: string): ProcessContext {
  return new ProcessContext({
    onGroup: (pgid) => {
      try {
        appendFileSync(join(runDir, CHILDREN_FILE), `${pgid}\n`, { mode: PRIVATE_FILE_MODE });
      } catch {
        // best effort: losing this only weakens crash recovery
      }
    },
  });
}

/** Stop the recorded groups that still work inside `dirs` (worktree, gate workspaces); returns them. */
export async function reapOrphans(runDir: string, dirs: readonly string[]): Promise<number[]> {
  const text = await readFile(join(runDir, CHILDREN_FILE), "utf8").catch(() => "");
  const pgids = text.split("\n").filter(Boolean).map(Number);
  const killed = await killOrphanedGroups(pgids, dirs);
  await rm(join(runDir, CHILDREN_FILE), { force: true });
  return killed;
}
