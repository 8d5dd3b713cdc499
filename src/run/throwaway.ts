import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { git } from "../git/index.js";

/** Prefixes of throwaway worktrees; `cleanup` removes any a killed omk left behind. */
export const THROWAWAY_PREFIXES = ["verify", "land"] as const;

/**
 * A detached worktree at `commit` under `.omk/worktrees/<prefix>-XXXXXX` for checking something
 * without touching the user's checkout or a run's worktree; removed and pruned whatever `fn` does.
 */
export async function withThrowawayWorktree<T>(
  root: string,
  prefix: (typeof THROWAWAY_PREFIXES)[number],
  commit: string,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  await mkdir(join(root, ".omk", "worktrees"), { recursive: true });
  const dir = await mkdtemp(join(root, ".omk", "worktrees", `${prefix}-`));
  const g = git(root);
  try {
    await g(["worktree", "add", "-q", "--detach", dir, commit]);
    return await fn(dir);
  } finally {
    await g(["worktree", "remove", "--force", dir], { allowFail: true });
    await rm(dir, { recursive: true, force: true });
    await g(["worktree", "prune"], { allowFail: true });
  }
}
