import { acquireLane, type LaneWorktree } from "../project/lane-pool.js";
import type { ProjectLocation } from "../project/locate.js";
import { prepareLane } from "./lanes.js";

/**
 * Lanes 0…n−1 taken from the project's pool and reset to the goal's base while the goal is still
 * being set up (its ledger, its integration branch, its plan's verdicts), so its first tasks start
 * their agents without waiting for that, one lane after another.
 */
export interface WarmLanes {
  /** The commit the lanes are being reset to. */
  commit: string;
  /** Lane n's worktree (held until the goal releases it). */
  worktrees: Map<number, Promise<LaneWorktree>>;
  /**
   * Lane n's reset, handed out once (to its first task): `done` resolves true once the lane is `commit`
   * exactly, false when the reset failed.
   */
  takeReset(lane: number): WarmReset | undefined;
  /** Gives back every lane: for a goal that stops before its loop takes the lanes over. */
  release(): Promise<void>;
}

export interface WarmReset {
  commit: string;
  done: Promise<boolean>;
}

export function warmLanes(project: ProjectLocation, commit: string, count: number): WarmLanes {
  const worktrees = new Map<number, Promise<LaneWorktree>>();
  const resets = new Map<number, Promise<boolean>>();
  for (let lane = 0; lane < count; lane++) {
    const wt = acquireLane(project, lane);
    wt.catch(() => {});
    worktrees.set(lane, wt);
    resets.set(
      lane,
      wt.then(
        (w) =>
          prepareLane(project.root, w.dir, commit).then(
            () => true,
            () => false,
          ),
        () => false,
      ),
    );
  }
  return {
    commit,
    worktrees,
    takeReset(lane) {
      const done = resets.get(lane);
      resets.delete(lane);
      return done === undefined ? undefined : { commit, done };
    },
    async release() {
      for (const w of worktrees.values()) await w.then((l) => l.release()).catch(() => {});
    },
  };
}

/**
 * How many of a plan's proposed tasks can start at once: those without dependencies, at most `lanes`.
 * The proposals are not validated yet, so this only sizes the warm-up; a rejected task costs one
 * lane reset, nothing else.
 */
export function startableAtOnce(proposals: readonly unknown[], lanes: number): number {
  let n = 0;
  for (const p of proposals) {
    if (typeof p !== "object" || p === null) continue;
    const deps = (p as { deps?: unknown }).deps;
    if (deps === undefined || (Array.isArray(deps) && deps.length === 0)) n += 1;
  }
  return Math.min(n, lanes);
}
