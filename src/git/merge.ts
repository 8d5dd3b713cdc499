import { OmkError } from "../core/errors.js";
import { identityArgs } from "./identity.js";
import { parseMergeTreeZ } from "./parse.js";
import { branchCommit, currentBranch, headCommit, isAncestor } from "./refs.js";
import { checkRevArg, git, gitFailure } from "./runner.js";

/**
 * Would merging `theirs` into `ours` conflict? Computed entirely in the object store (merge-tree
 * --write-tree, git ≥ 2.38): no index, worktree or ref is touched. `tree` is the merged tree when clean.
 */
export async function mergeTreeCheck(
  root: string,
  ours: string,
  theirs: string,
): Promise<{ clean: boolean; tree: string | null; conflicts: string[] }> {
  checkRevArg(ours, "revision");
  checkRevArg(theirs, "revision");
  const r = await git(root)(
    ["merge-tree", "--write-tree", "--name-only", "-z", "--no-messages", ours, theirs],
    {
      okCodes: [1],
    },
  );
  const { tree, conflicts } = parseMergeTreeZ(r.stdout);
  return r.code === 0 ? { clean: true, tree, conflicts: [] } : { clean: false, tree: null, conflicts };
}

export interface MergeIntoResult {
  /** HEAD of root after the merge. */
  commit: string;
  /** HEAD moved to the branch tip without a merge commit. */
  fastForward: boolean;
  /** The branch was already contained in HEAD; nothing changed. */
  upToDate: boolean;
}

/**
 * Merge local `branch` into whatever is checked out in `root`. Refusals (not fast-forwardable under
 * ffOnly, or a conflict) are decided before git touches the checkout, so a refused land leaves the
 * user's tree exactly as it was. Otherwise fast-forwards when possible, else makes a merge commit.
 * Callers serialize lands (project lock); this does not retry on lock contention.
 */
export async function mergeInto(
  root: string,
  branch: string,
  opts: { ffOnly: boolean; message?: string | undefined },
): Promise<MergeIntoResult> {
  checkRevArg(branch, "branch");
  const head = await headCommit(root);
  const tip = await branchCommit(root, branch);
  if (tip === null) {
    throw new OmkError("GIT_FAILED", `branch ${branch} does not exist`, {
      hint: "check the branch name (git branch --list)",
      details: { cwd: root, branch },
    });
  }
  if (await isAncestor(root, tip, head)) return { commit: head, fastForward: false, upToDate: true };
  const into = (await currentBranch(root)) ?? "HEAD";
  const canFastForward = await isAncestor(root, head, tip);
  if (!canFastForward && opts.ffOnly) {
    throw new OmkError(
      "LAND_REFUSED",
      `cannot fast-forward ${into} to ${branch}: the histories have diverged`,
      {
        hint: "land with a merge commit, or start a new run from the current HEAD",
        details: { cwd: root, branch, head, tip },
      },
    );
  }
  if (!canFastForward) {
    const check = await mergeTreeCheck(root, head, tip);
    if (!check.clean) {
      throw new OmkError(
        "LAND_REFUSED",
        `merging ${branch} into ${into} would conflict in: ${check.conflicts.join(", ")}`,
        {
          hint: "resolve by re-running the task on the current HEAD, or merge by hand",
          details: { cwd: root, branch, conflicts: check.conflicts },
        },
      );
    }
  }
  const g = git(root);
  // Merge the commit id checked above, not the name, so a branch that moves meanwhile cannot slip in.
  const args = canFastForward
    ? ["merge", "--quiet", "--ff-only", tip]
    : [
        ...(await identityArgs(root)),
        "merge",
        "--quiet",
        "--no-ff",
        "--no-edit",
        "-m",
        opts.message ?? `Merge branch '${branch}'`,
        tip,
      ];
  const r = await g(args, { allowFail: true, retryOnLock: false });
  if (r.code !== 0) {
    const inProgress = await g(["rev-parse", "--verify", "--quiet", "MERGE_HEAD"], { allowFail: true });
    if (inProgress.code === 0) await g(["merge", "--abort"], { allowFail: true });
    throw gitFailure(args, root, `failed (exit ${r.code})`, r.stderr);
  }
  const commit = await headCommit(root);
  return { commit, fastForward: canFastForward, upToDate: false };
}

/** Move the checked-out branch of `root` to `commit`, only if that is a fast-forward. */
export async function fastForwardTo(root: string, commit: string): Promise<void> {
  checkRevArg(commit, "revision");
  await git(root)(["merge", "--quiet", "--ff-only", commit]);
}
