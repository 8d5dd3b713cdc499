import { copyFile, readFile, rm, utimes } from "node:fs/promises";
import { join, resolve } from "node:path";
import { OmkError } from "../core/errors.js";
import { pathExists } from "../core/fs.js";
import { PINNED_DIFF_ARGS } from "./diff.js";
import { identityArgs } from "./identity.js";
import { gitlinksInIndexFile } from "./index-file.js";
import { type ChangedFile, FULL_OID, parseDiffSummary } from "./parse.js";
import { headCommitFromFiles } from "./refs-files.js";
import { checkRevArg, type GitRunner, git } from "./runner.js";
import { gitlinksInIndex, stageAll } from "./stage.js";

/**
 * The work tree of `worktree` as a tree object, built in a private index (`indexFile`, outside the
 * tree): whatever the agent did to its own index, HEAD or commits does not matter, only the files.
 * Ignored files are not part of it, exactly as they would not be part of a commit. Submodules are
 * staged without git looking inside their work trees (see `stageAll`). The private index is kept
 * between snapshots as a stat cache (so only changed files are hashed again); without one it starts
 * from `base`.
 */
export async function snapshotTree(worktree: string, base: string, indexFile: string): Promise<string> {
  checkRevArg(base, "base revision");
  const g = git(worktree);
  const env = { GIT_INDEX_FILE: indexFile };
  try {
    if (!(await pathExists(indexFile))) await g(["read-tree", base], { env });
    // The object id's length tells the index's: in-process when base is a full id, else git says.
    const oidBytes = FULL_OID.test(base) ? (base.length === 40 ? 20 : 32) : null;
    const gitlinks =
      (oidBytes === null ? null : await gitlinksInIndexFile(indexFile, oidBytes)) ??
      (await gitlinksInIndex(g, env));
    await stageAll(g, gitlinks, env);
    const tree = await writeTreeThroughCopy(g, indexFile);
    if (!/^[0-9a-f]{40,64}$/.test(tree)) throw new OmkError("GIT_FAILED", `git write-tree printed ${tree}`);
    return tree;
  } catch (err) {
    // A broken cache must not break the next snapshot.
    await rm(indexFile, { force: true });
    throw err;
  }
}

/**
 * `git write-tree` of `indexFile`, run on a copy dated a minute ahead. write-tree saves the cache tree
 * into the index it reads, and while it writes it compares with its file every racily clean entry (one
 * whose file changed in the second before the index was written) that it did not refresh itself: at
 * 10,000 files checked out and changed within a second, that is every file again, ~30–90 ms, right
 * after `git add` compared them all. The copy's date makes none of them racy; the tree comes from the
 * entries' object ids either way. The index itself keeps git's own date, so the next snapshot still
 * compares what changed in that second, and it never holds a cache tree of its own (rebuilding one
 * costs write-tree a few milliseconds).
 */
async function writeTreeThroughCopy(g: GitRunner, indexFile: string): Promise<string> {
  const copy = `${indexFile}.tree`;
  await copyFile(indexFile, copy);
  try {
    const ahead = Date.now() / 1000 + 60;
    await utimes(copy, ahead, ahead);
    const r = await g(["write-tree"], { env: { GIT_INDEX_FILE: copy } });
    return r.stdout.trim();
  } finally {
    await rm(copy, { force: true });
  }
}

/**
 * Seed `indexFile` with the index git wrote when it checked out a fresh worktree, before the agent
 * ran: its stat data lets the first snapshot hash only what the agent changed.
 */
export async function seedSnapshotIndex(worktree: string, indexFile: string): Promise<void> {
  // A worktree omk just added names its git dir in its `.git` file: no git process needed to find it.
  const gitFile = await readFile(join(worktree, ".git"), "utf8").catch(() => "");
  const m = /^gitdir: (.+)\n?$/.exec(gitFile);
  const gitDir = m?.[1] === undefined ? null : resolve(worktree, m[1]);
  const index =
    gitDir !== null
      ? join(gitDir, "index")
      : (await git(worktree)(["rev-parse", "--path-format=absolute", "--git-path", "index"])).stdout.trim();
  await copyFile(index, indexFile);
}

export interface TreeDiff {
  files: ChangedFile[];
  added: number;
  deleted: number;
}

/** What changed from `from` to `to` (commits or trees), in the object store alone. */
export async function diffTrees(root: string, from: string, to: string): Promise<TreeDiff> {
  checkRevArg(from, "revision");
  checkRevArg(to, "revision");
  const r = await git(root)([
    "-c",
    "core.quotepath=off",
    "diff",
    "--raw",
    "--numstat",
    "-z",
    ...PINNED_DIFF_ARGS,
    from,
    to,
    "--",
  ]);
  return parseDiffSummary(r.stdout);
}

/** The tree a commit records. */
export async function treeOf(root: string, commit: string): Promise<string> {
  checkRevArg(commit, "revision");
  return (await git(root)(["rev-parse", "--verify", "--quiet", `${commit}^{tree}`])).stdout.trim();
}

/** The parents of a commit, in order. */
export async function parentsOf(root: string, commit: string): Promise<string[]> {
  checkRevArg(commit, "revision");
  const r = await git(root)(["rev-list", "--parents", "-n", "1", commit]);
  return r.stdout.trim().split(" ").slice(1);
}

/**
 * A commit of exactly `tree` on `parent`, made without any index or work tree (`commit-tree`); no ref
 * moves. The message travels on stdin.
 */
export async function commitTree(
  root: string,
  tree: string,
  parent: string,
  message: string,
): Promise<string> {
  checkRevArg(tree, "tree");
  checkRevArg(parent, "revision");
  const identity = await identityArgs(root);
  const r = await git(root)([...identity, "commit-tree", tree, "-p", parent, "-F", "-"], { input: message });
  return r.stdout.trim();
}

/** Point `refs/heads/<branch>` at `commit`, whatever it pointed at before (the agent may have moved it). */
export async function setBranch(root: string, branch: string, commit: string, reason: string): Promise<void> {
  checkRevArg(branch, "branch");
  checkRevArg(commit, "revision");
  await git(root)(["update-ref", "-m", reason, `refs/heads/${branch}`, commit]);
}

/** Commits reachable from `head` but not from `base`, newest first: what the agent committed itself. */
export async function commitsSince(
  dir: string,
  base: string,
  head: string,
): Promise<{ commit: string; subject: string }[]> {
  checkRevArg(base, "revision");
  checkRevArg(head, "revision");
  // The usual case, the agent committed nothing, answered from the ref files without a git process.
  if (head === "HEAD" && FULL_OID.test(base) && headCommitFromFiles(dir) === base) return [];
  const r = await git(dir)(["log", "-z", "--format=%H %s", `${base}..${head}`, "--"], { allowFail: true });
  if (r.code !== 0) return [];
  return r.stdout
    .split("\0")
    .map((record) => record.replace(/^\n/, ""))
    .filter((record) => /^[0-9a-f]{40,64} /.test(record))
    .map((record) => {
      const space = record.indexOf(" ");
      return { commit: record.slice(0, space), subject: record.slice(space + 1) };
    });
}

/** Make the index and files of `dir` exactly `tree`: tracked files reset, everything else removed except `keep`. */
export async function checkoutTreeClean(dir: string, tree: string, keep: readonly string[]): Promise<void> {
  checkRevArg(tree, "tree");
  const g = git(dir);
  await g(["read-tree", "-u", "--reset", tree]);
  await g(["clean", "-ffdxq", ...keep.flatMap((k) => ["-e", k]), "--", "."]);
}
