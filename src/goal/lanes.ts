import { lstat, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { resetLaneWorktree } from "../git/goal.js";
import { addDetachedWorktree } from "../git/worktree.js";
import { removeWorktreeDir } from "../project/throwaway.js";
import type { GoalTask } from "./proposals.js";

/**
 * Lane N's pooled worktree, made exactly `commit`: created on first use, reset (not re-created) for
 * every later task, so a task never sees what the previous one left behind.
 */
export async function prepareLane(root: string, dir: string, commit: string): Promise<"created" | "reset"> {
  if ((await lstat(dir).catch(() => null)) === null) {
    await mkdir(dirname(dir), { recursive: true });
    await addDetachedWorktree(root, dir, commit);
    return "created";
  }
  await resetLaneWorktree(dir, commit);
  return "reset";
}

export async function removeLanes(root: string, dirs: readonly string[]): Promise<void> {
  for (const d of dirs) await removeWorktreeDir(root, d);
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
