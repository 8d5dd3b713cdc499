import { readFileSync, realpathSync } from "node:fs";
import { lstat, mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { readGitDirs } from "../git/dirs.js";
import { resetLaneWorktree } from "../git/goal.js";
import { gitCommonDir } from "../git/repo.js";
import { addDetachedWorktree } from "../git/worktree.js";
import { removeWorktreeDir } from "../project/throwaway.js";
import type { GoalTask } from "./proposals.js";

/**
 * Lane worktree `dir` is still what omk made: its `.git` file names a git dir under the repository's
 * own `worktrees/` that points back at it. An agent that ran in the lane could have pointed `.git`
 * at a git dir of its own (its config and hooks); git is then not run there again.
 */
async function laneIsIntact(root: string, dir: string): Promise<boolean> {
  const lane = readGitDirs(dir);
  if (lane === null) return false;
  try {
    const common = await gitCommonDir(root);
    if (realpathSync(lane.commonDir) !== realpathSync(common)) return false;
    if (realpathSync(dirname(lane.gitDir)) !== realpathSync(join(common, "worktrees"))) return false;
    const back = readFileSync(join(lane.gitDir, "gitdir"), "utf8").trim();
    return resolve(lane.gitDir, back) === join(dir, ".git");
  } catch {
    return false;
  }
}

/**
 * Lane worktree `dir`, made exactly `commit`: created on first use, reset (not re-created) for every
 * later task, of this goal or a later one, so a task never sees what the previous one left behind.
 * A lane that is no longer a worktree omk made is removed and created again.
 */
export async function prepareLane(root: string, dir: string, commit: string): Promise<"created" | "reset"> {
  if ((await lstat(dir).catch(() => null)) !== null) {
    if (await laneIsIntact(root, dir)) {
      await resetLaneWorktree(dir, commit);
      return "reset";
    }
    await removeWorktreeDir(root, dir);
  }
  await mkdir(dirname(dir), { recursive: true });
  await addDetachedWorktree(root, dir, commit);
  return "created";
}

/**
 * What a lane's run adds to the environment: its number and its own port range, so tasks that start
 * dev servers or test databases in parallel do not collide. `OMK_`-prefixed, so the child-env
 * allowlist lets them through to the agent and the gates.
 */
export function laneEnv(
  parentEnv: Readonly<Record<string, string | undefined>>,
  lane: number,
  portBase: number,
  portSpan: number,
  goalId: string,
  taskId: string,
): Record<string, string | undefined> {
  return {
    ...parentEnv,
    OMK_LANE: String(lane),
    OMK_PORT_BASE: String(portBase + lane * portSpan),
    OMK_GOAL_ID: goalId,
    OMK_GOAL_TASK: taskId,
  };
}

/** The task as its run's agent sees it: the planner's prompt, with the files it may change. */
export function taskPrompt(t: GoalTask): string {
  return [
    t.title,
    "",
    t.prompt,
    "",
    `Change only these files (globs): ${t.writeSet.join(", ")}. A change to any other file is rejected.`,
  ].join("\n");
}
