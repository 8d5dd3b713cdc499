import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { deleteBranch } from "../git/refs.js";
import { addDetachedWorktree, pruneWorktrees, removeWorktree } from "../git/worktree.js";

/** Prefixes of throwaway worktrees; `cleanup` removes any a killed omk left behind. */
export const THROWAWAY_PREFIXES = ["verify", "land", "plan", "ask"] as const;

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
  try {
    await addDetachedWorktree(root, dir, commit);
    return await fn(dir);
  } finally {
    await removeWorktreeDir(root, dir);
  }
}

/** Best effort: git's record and the directory both go, whatever state either is in. */
export async function removeWorktreeDir(root: string, dir: string): Promise<void> {
  await removeWorktree(root, dir, { force: true }).catch(() => {});
  await rm(dir, { recursive: true, force: true });
  await pruneWorktrees(root).catch(() => {});
}

/** Best effort, as removeWorktreeDir: a worktree and the branch it was made on (whether or not it still exists). */
export async function removeWorktreeAndBranch(root: string, dir: string, branch: string): Promise<void> {
  await removeWorktreeDir(root, dir);
  await deleteBranch(root, branch, { force: true }).catch(() => {});
}
