import type { ProjectLocation } from "./locate.js";
import { acquirePoolSlot, poolDirs, removeIdlePool, type SlotRemoval, type WorktreePool } from "./slots.js";

/** The project's goal lanes; up to 64 at once: the lanes of all its running goals. */
const LANES: WorktreePool = { prefix: "lane", state: "lanes", max: 64, what: "goal lanes" };

/** A lane worktree of the project's pool, held by one goal's lane until released. */
export interface LaneWorktree {
  dir: string;
  release(): Promise<void>;
}

/**
 * A free lane worktree of the project (`.omk/worktrees/lane-<n>`), held until released. Lanes
 * outlive the goal that used them, as gate workspaces outlive runs: the next goal resets a lane
 * (goal/lanes.ts `prepareLane`) instead of checking out the whole tree again, which takes seconds
 * per lane on a 20,000-file repository. Slot `prefer` is tried first (a goal's lane n prefers slot n).
 */
export async function acquireLane(project: ProjectLocation, prefer = 0): Promise<LaneWorktree> {
  const slot = await acquirePoolSlot(project, LANES, prefer);
  return { dir: slot.dir, release: () => slot.lock.release() };
}

/** Every lane worktree of the project, held or not (crash recovery looks for leftovers there). */
export function laneWorktreeDirs(root: string): Promise<string[]> {
  return poolDirs(root, LANES);
}

/** `omk cleanup --workspaces`: removes the lane worktrees no goal holds (created again on demand). */
export function removeIdleLanes(project: ProjectLocation): Promise<SlotRemoval[]> {
  return removeIdlePool(project, LANES);
}
