import { lstat, rm } from "node:fs/promises";
import { OmkError } from "../core/errors.js";
import { branchExists, deleteBranch } from "../git/refs.js";
import { readRunJournal } from "../journal/run-journal.js";
import { ranInGoalLane } from "../journal/state.js";
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
  /** A goal task's worktree: the goal's pooled lane, which its later tasks reuse, so it stays. */
  keptWorktree: string | null;
  branch: string | null;
  dir: string;
}

/**
 * `omk run rm`: the run's worktree, its branch and its state dir (ledger, proof, artifacts) — all of
 * it, with no confirmation, since naming the run is the confirmation. A run some omk is driving right
 * now is refused. Processes a crashed omk left in the worktree are stopped first. A goal task's
 * worktree is the goal's lane and stays.
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
  // A goal's task ran in one of the goal's pooled lanes, where another task may be working now: the
  // lane is the goal's to remove (nor are its processes this run's to reap: a group id recorded then
  // may belong to the lane's current task).
  const own = s === null || !ranInGoalLane(s);
  const gateDirs = await gateWorkspaceDirs(project.root);
  await reapOrphans(loc.dir, own ? [worktree, ...gateDirs] : gateDirs).catch(() => []);
  const hadWorktree = (await lstat(worktree).catch(() => null)) !== null;
  if (hadWorktree && own) await removeWorktreeDir(project.root, worktree);
  const branch = s?.branch ?? loc.branch;
  const hadBranch = await branchExists(project.root, branch);
  if (hadBranch) await deleteBranch(project.root, branch, { force: true });
  await rm(loc.dir, { recursive: true, force: true });
  return {
    runId: loc.runId,
    status,
    landed: Boolean(s?.landed),
    worktree: hadWorktree && own ? worktree : null,
    keptWorktree: hadWorktree && !own ? worktree : null,
    branch: hadBranch ? branch : null,
    dir: loc.dir,
  };
}
