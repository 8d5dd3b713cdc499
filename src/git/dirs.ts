import { lstatSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * The common git dir and git dir of the repository git finds from `cwd`, read from files where `cwd`
 * is a work tree's top level in one of the two shapes omk creates and meets — a `.git` directory, or a
 * `.git` file naming a linked worktree's git dir that has a `commondir` — as git itself reads them.
 * Null for anything else (a subdirectory, a symlink, a git dir that does not look like one): the
 * caller asks `git rev-parse` then. Saves a git process wherever omk needs only these paths.
 */
export function readGitDirs(cwd: string): { commonDir: string; gitDir: string } | null {
  try {
    return readDirs(cwd);
  } catch {
    return null;
  }
}

/** Synchronous on purpose: a few lstat calls, cheaper than the thread-pool round trips of async ones. */
function readDirs(cwd: string): { commonDir: string; gitDir: string } | null {
  const dotGit = join(cwd, ".git");
  const st = lstatSync(dotGit);
  if (st.isDirectory()) {
    // A main work tree: its .git is the git dir and the common dir (git checks HEAD and objects/ too).
    const head = lstatSync(join(dotGit, "HEAD"), { throwIfNoEntry: false });
    const objects = lstatSync(join(dotGit, "objects"), { throwIfNoEntry: false });
    const commondir = lstatSync(join(dotGit, "commondir"), { throwIfNoEntry: false });
    if (!head?.isFile() || !objects?.isDirectory() || commondir !== undefined) return null;
    return { commonDir: dotGit, gitDir: dotGit };
  }
  if (!st.isFile() || st.size > 4096) return null;
  const m = /^gitdir: ([^\n]+)\n?$/.exec(readFileSync(dotGit, "utf8"));
  if (m?.[1] === undefined) return null;
  const gitDir = resolve(cwd, m[1]);
  const head = lstatSync(join(gitDir, "HEAD"), { throwIfNoEntry: false });
  const commonFile = join(gitDir, "commondir");
  if (!head?.isFile() || !lstatSync(commonFile, { throwIfNoEntry: false })?.isFile()) return null;
  const common = readFileSync(commonFile, "utf8");
  if (!/^[^\n]+\n?$/.test(common)) return null;
  return { commonDir: resolve(gitDir, common.replace(/\n$/, "")), gitDir };
}
