import { lstat, rm } from "node:fs/promises";
import { OmkError } from "../core/errors.js";
import { branchExists, deleteBranch } from "../git/refs.js";
import { readRunJournal } from "../journal/run-journal.js";
import { gateWorkspaceDirs } from "../project/gate-workspace.js";
import { type ProjectLocation, resolveRunId } from "../project/locate.js";
import { removeWorktreeDir } from "../project/throwaway.js";
import { reapOrphans } from "./children.js";
import { runLiveness } from "./live.js";

export interface RemovedRun {
  runId: string;
  /** What the run was: its status, `interrupted`, or `crashed`. */
  status: string;
  landed: boolean;
  worktree: string | null;
  branch: string | null;
  dir: string;
}

/**
 * `omk run rm`: the run's worktree, its branch and its state dir (ledger, proof, artifacts) — all of
 * it, with no confirmation, since naming the run is the confirmation. A run some omk is driving right
 * now is refused. Processes a crashed omk left in the worktree are stopped first.
 */
export async function removeRun(project: ProjectLocation, id: string): Promise<RemovedRun> {
  const loc = await resolveRunId(project, id);
  const read = await readRunJournal(loc.dir).catch(() => null);
  const s = read?.state ?? null;
  let status = s?.finished?.status ?? (s?.interrupted ? "interrupted" : "crashed");
  if (s && !s.finished && !s.interrupted) {
    const live = await runLiveness(loc.dir);
    if (live.state === "running") {
      throw new OmkError("LEDGER_LOCKED", `run ${loc.runId} is running (pid ${live.pid}, ${live.phase})`, {
        hint: `stop it first (Ctrl-C where it runs, or kill ${live.pid}), then omk run rm ${loc.runId}`,
      });
    }
    status = "crashed";
  }
  const worktree = s?.worktree ?? loc.worktree;
  await reapOrphans(loc.dir, [worktree, ...(await gateWorkspaceDirs(project.root))]).catch(() => []);
  const hadWorktree = (await lstat(worktree).catch(() => null)) !== null;
  if (hadWorktree) await removeWorktreeDir(project.root, worktree);
  const branch = s?.branch ?? loc.branch;
  const hadBranch = await branchExists(project.root, branch);
  if (hadBranch) await deleteBranch(project.root, branch, { force: true });
  await rm(loc.dir, { recursive: true, force: true });
  return {
    runId: loc.runId,
    status,
    landed: Boolean(s?.landed),
    worktree: hadWorktree ? worktree : null,
    branch: hadBranch ? branch : null,
    dir: loc.dir,
  };
}
