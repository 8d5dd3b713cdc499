import { lstat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { OmkError } from "../core/errors.js";
import { pathExists } from "../core/fs.js";
import { FULL_OID, parseWorktreeListZ, type WorktreeInfo } from "./parse.js";
import { branchCommit, headCommit } from "./refs.js";
import { branchCommitFromFiles } from "./refs-files.js";
import {
  checkRevArg,
  type GitResult,
  type GitRunOptions,
  git,
  gitFailure,
  guardCoversNewWorktrees,
  isTransientLockError,
  LOCK_ATTEMPTS,
  lockBackoffMs,
} from "./runner.js";

/**
 * Check out HEAD into a worktree made with `--no-checkout`: what `git worktree add` itself runs, but as
 * our own call in the new worktree, so the guard reads the config git will use there (its
 * config.worktree, includeIf conditions on its git dir) and neutralises the drivers it defines.
 */
async function populate(target: string): Promise<void> {
  await git(target)(["reset", "--quiet", "--hard", "--no-recurse-submodules"]);
}

/**
 * `git worktree prune` removes the admin dir of a worktree that a `git worktree add` is still making:
 * between the add's mkdir of `.git/worktrees/<name>` and its `locked` file, the dir has no `gitdir`,
 * which prune takes for a leftover whatever `--expire` says (the add then fails: "could not open
 * …/locked"). In this process — a goal's lanes and gate workspaces are made side by side — a prune
 * waits for the adds in flight, and adds wait for a prune that is running or queued.
 */
const addsInFlight = new Set<Promise<unknown>>();
let pruneTurn: Promise<void> = Promise.resolve();

/** Runs `add` (a `git worktree add`) so that no prune of this process runs beside it. Exported for tests. */
export async function asAdd<T>(add: () => Promise<T>): Promise<T> {
  await pruneTurn;
  const p = add();
  addsInFlight.add(p);
  try {
    return await p;
  } finally {
    addsInFlight.delete(p);
  }
}

function asPrune<T>(prune: () => Promise<T>): Promise<T> {
  const run = pruneTurn.then(async () => {
    await Promise.allSettled([...addsInFlight]);
    return prune();
  });
  pruneTurn = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

/**
 * `git worktree add --quiet [--no-checkout] <rest>`. git checks the new work tree out itself where the
 * guard read for `root` holds there too (the common case: one git process and one checkout fewer);
 * otherwise it is added with --no-checkout and `populated` is false: the caller checks it out with
 * populate, under the guard read for the new work tree.
 */
async function worktreeAdd(
  root: string,
  rest: readonly string[],
  opts: Pick<GitRunOptions, "allowFail" | "retryOnLock"> = {},
): Promise<GitResult & { populated: boolean }> {
  const populated = await guardCoversNewWorktrees(root);
  const args = ["worktree", "add", "--quiet", ...(populated ? [] : ["--no-checkout"]), ...rest];
  return { ...(await asAdd(() => git(root)(args, opts))), populated };
}

/** Undo a worktree whose checkout failed: its directory and git's record of it. */
async function discardNewWorktree(root: string, target: string): Promise<void> {
  await git(root)(["worktree", "remove", "--force", "--", target], { allowFail: true });
}

/**
 * `git worktree add -b branch path base`, safe to call from many processes on one repo at once.
 * Concurrent adds trip over each other's half-created `.git/worktrees/<name>` entries and locks; git
 * has then already created the branch (at `base`) but removed the half-made worktree, so a retry checks
 * out that branch instead of creating it again.
 */
export async function addWorktree(
  root: string,
  path: string,
  branch: string,
  base: string,
  opts: { ifBranchExists?: "fail" | "attach" } = {},
): Promise<"created" | "reattached"> {
  checkRevArg(branch, "branch");
  // A full object id needs no lookup (worktree add checks it), and the branch is looked up in the
  // ref files where that is plain: two git processes fewer on every run.
  const [baseSha, existingBranch] = await Promise.all([
    FULL_OID.test(base) ? base : headCommit(root, base),
    branchCommitFromFiles(root, branch) ?? branchCommit(root, branch),
  ]);
  const target = resolve(root, path);
  if (existingBranch !== null && opts.ifBranchExists === "attach") {
    await attachWorktree(root, target, branch);
    return "reattached";
  }
  if (existingBranch !== null) {
    throw new OmkError("GIT_FAILED", `branch ${branch} already exists`, {
      hint: `choose another branch name, or delete it first (git branch -D ${branch})`,
      details: { cwd: root, branch },
    });
  }
  const g = git(root);
  for (let attempt = 0; ; attempt++) {
    let args: string[] = ["-b", branch, "--", target, baseSha];
    if (attempt > 0) {
      const existing = await branchCommit(root, branch);
      if (existing !== null && existing !== baseSha) {
        throw new OmkError("GIT_FAILED", `branch ${branch} was created concurrently at another commit`, {
          hint: "another process is using the same branch name; use a fresh run id",
          details: { cwd: root, branch, expected: baseSha, found: existing },
        });
      }
      if (existing !== null) args = ["--", target, branch];
    }
    const r = await worktreeAdd(root, args, { allowFail: true, retryOnLock: false });
    if (r.code === 0) {
      try {
        if (!r.populated) await populate(target);
      } catch (error) {
        await discardNewWorktree(root, target);
        await g(["update-ref", "-d", `refs/heads/${branch}`, baseSha], { allowFail: true });
        throw error;
      }
      return "created";
    }
    if (attempt + 1 >= LOCK_ATTEMPTS || !isTransientLockError(r.stderr)) {
      // Best effort: drop the branch our failed attempts created (it did not exist before). update-ref,
      // unlike `branch -D`, does not scan worktrees, so it works even while that scan is what fails,
      // and the expected old value keeps it from deleting a branch that has since moved.
      await g(["update-ref", "-d", `refs/heads/${branch}`, baseSha], { allowFail: true });
      throw gitFailure(["worktree", "add", ...args], root, `failed (exit ${r.code})`, r.stderr);
    }
    await sleep(lockBackoffMs(attempt));
  }
}

/**
 * Remove a linked worktree (its directory and git's record of it). `force` also discards uncommitted
 * changes in it. Removing a worktree that is already gone is not an error, so cleanup can be repeated.
 * Without `force`, omk checks for changes itself (a status in the worktree, under the guard for that
 * worktree's config) and then removes with --force: git's own check runs `git status` in the worktree
 * under the config omk read for `root`.
 */
export async function removeWorktree(
  root: string,
  path: string,
  opts: { force?: boolean } = {},
): Promise<void> {
  const target = resolve(root, path);
  const isLinked = (await lstat(join(target, ".git")).catch(() => null))?.isFile() ?? false;
  if (!opts.force && isLinked) {
    const status = await git(target)([
      "status",
      "--porcelain",
      "-z",
      "--untracked-files=normal",
      "--ignore-submodules=dirty",
    ]);
    if (status.stdout !== "") {
      throw new OmkError(
        "GIT_FAILED",
        `git worktree remove refused: ${target} contains modified or untracked files`,
        {
          hint: "commit or discard the changes there, or remove it with force",
          details: { subcommand: "worktree", cwd: root, worktree: target },
        },
      );
    }
  }
  const args = ["worktree", "remove", ...(opts.force || isLinked ? ["--force"] : []), "--", target];
  const r = await git(root)(args, { allowFail: true });
  if (r.code === 0) return;
  if (/is not a working tree/.test(r.stderr) && !(await pathExists(target))) {
    await pruneWorktrees(root);
    return;
  }
  throw gitFailure(args, root, `failed (exit ${r.code})`, r.stderr);
}

/**
 * Forget worktrees whose directories were deleted (git keeps locked entries). Waits for this process's
 * worktree adds in flight, whose half-made entries it would take for leftovers (see asPrune).
 */
export async function pruneWorktrees(root: string): Promise<void> {
  await asPrune(() => git(root)(["worktree", "prune"]));
}

/** Every worktree of the repository, the main one first; `head` is null on an unborn branch. */
export async function listWorktrees(root: string): Promise<WorktreeInfo[]> {
  const r = await git(root)(["worktree", "list", "--porcelain", "-z"]);
  return parseWorktreeListZ(r.stdout);
}

/** A detached worktree at `commit`, for checking something without a branch (proof verify, land). */
export async function addDetachedWorktree(root: string, path: string, commit: string): Promise<void> {
  checkRevArg(commit, "revision");
  const target = resolve(root, path);
  const { populated } = await worktreeAdd(root, ["--detach", "--", target, commit]);
  if (populated) return;
  await populate(target).catch(async (error: unknown) => {
    await discardNewWorktree(root, target);
    throw error;
  });
}

/** Check out an existing branch in a new worktree (a run's worktree that cleanup removed). */
export async function attachWorktree(root: string, path: string, branch: string): Promise<void> {
  checkRevArg(branch, "branch");
  const target = resolve(root, path);
  await asPrune(() => git(root)(["worktree", "prune"], { allowFail: true }));
  const { populated } = await worktreeAdd(root, ["--", target, branch]);
  if (populated) return;
  await populate(target).catch(async (error: unknown) => {
    await discardNewWorktree(root, target);
    throw error;
  });
}
