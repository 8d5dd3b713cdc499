import { identityArgs } from "./identity.js";
import { checkRevArg, git } from "./runner.js";

/**
 * Git operations of a goal's integration and lanes. The integration branch only ever moves by
 * compare-and-swap from the head the goal recorded, so a ref moved behind omk's back is noticed,
 * never silently built on.
 */

/** A merge commit of exactly `tree` with `parents`, made in the object store alone (message on stdin). */
export async function commitMerge(
  root: string,
  tree: string,
  parents: readonly string[],
  message: string,
): Promise<string> {
  checkRevArg(tree, "tree");
  for (const p of parents) checkRevArg(p, "revision");
  const identity = await identityArgs(root);
  const r = await git(root)(
    [...identity, "commit-tree", tree, ...parents.flatMap((p) => ["-p", p]), "-F", "-"],
    {
      input: message,
    },
  );
  return r.stdout.trim();
}

/**
 * Moves `refs/heads/<branch>` to `next` only if it is at `expected` (for a new branch: pass null and
 * it must not exist). Returns false when the ref was elsewhere.
 */
export async function casBranch(
  root: string,
  branch: string,
  next: string,
  expected: string | null,
  reason: string,
): Promise<boolean> {
  checkRevArg(branch, "branch");
  checkRevArg(next, "revision");
  if (expected !== null) checkRevArg(expected, "revision");
  const r = await git(root)(
    ["update-ref", "-m", reason, `refs/heads/${branch}`, next, expected ?? "0".repeat(next.length)],
    { allowFail: true, retryOnLock: true },
  );
  return r.code === 0;
}

/**
 * A pooled lane worktree made exactly `commit` again: HEAD detached there, index and files reset,
 * everything untracked or ignored removed. Faster than a fresh `git worktree add`: unchanged files
 * stay where they are.
 */
export async function resetLaneWorktree(dir: string, commit: string): Promise<void> {
  checkRevArg(commit, "revision");
  const g = git(dir);
  await g(["checkout", "--quiet", "--detach", "--force", commit]);
  await g(["clean", "-ffdxq", "--", "."]);
}
