import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { ProjectLocation } from "./locate.js";
import { acquireSlot, removeIdleSlots, type SlotRemoval } from "./slots.js";
import { removeWorktreeDir } from "./throwaway.js";

/** How many lane worktrees one project may have at once: the lanes of all its running goals. */
const MAX_LANE_SLOTS = 64;

/** A lane worktree of the project's pool, held by one goal's lane until released. */
export interface LaneWorktree {
  dir: string;
  release(): Promise<void>;
}

/**
 * A free lane worktree of the project (`.omk/worktrees/lane-<n>`), held until released. Lanes
 * outlive the goal that used them, as gate workspaces outlive runs: the next goal resets a lane
 * (goal/lanes.ts `prepareLane`) instead of checking out the whole tree again, which takes seconds
 * per lane on a 20,000-file repository.
 */
export async function acquireLane(project: ProjectLocation): Promise<LaneWorktree> {
  const slot = await acquireSlot(lanesState(project), MAX_LANE_SLOTS, "goal lanes");
  return {
    dir: laneDir(project.root, slot.n),
    release: () => slot.lock.release(),
  };
}

/** Every lane worktree of the project, held or not (crash recovery looks for leftovers there). */
export async function laneWorktreeDirs(root: string): Promise<string[]> {
  const base = join(root, ".omk", "worktrees");
  const names = await readdir(base).catch(() => [] as string[]);
  return names.filter((n) => /^lane-\d+$/.test(n)).map((n) => join(base, n));
}

const lanesState = (project: ProjectLocation) => join(project.runsDir, "..", "lanes");
const laneDir = (root: string, n: number) => join(root, ".omk", "worktrees", `lane-${n}`);

/** `omk cleanup --workspaces`: removes the lane worktrees no goal holds (created again on demand). */
export function removeIdleLanes(project: ProjectLocation): Promise<SlotRemoval[]> {
  return removeIdleSlots(
    lanesState(project),
    (n) => laneDir(project.root, n),
    (dir) => removeWorktreeDir(project.root, dir),
  );
}
