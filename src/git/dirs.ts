import { lstatSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { readRegularFileSync } from "../core/fs.js";

/** A small file of a git dir as text; null for anything but a regular file of at most `maxBytes`. */
function smallText(path: string, maxBytes: number): string | null {
  const r = readRegularFileSync(path, maxBytes);
  return r.kind === "file" ? r.data.toString("utf8") : null;
}

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
  if (!st.isFile()) return null;
  const m = /^gitdir: ([^\n]+)\n?$/.exec(smallText(dotGit, 4096) ?? "");
  if (m?.[1] === undefined) return null;
  const gitDir = resolve(cwd, m[1]);
  const head = lstatSync(join(gitDir, "HEAD"), { throwIfNoEntry: false });
  if (!head?.isFile()) return null;
  // Null for a commondir that is missing or not a regular file.
  const common = smallText(join(gitDir, "commondir"), 4096);
  if (common === null || !/^[^\n]+\n?$/.test(common)) return null;
  return { commonDir: resolve(gitDir, common.replace(/\n$/, "")), gitDir };
}

/**
 * A config that may move the work tree, make the repository bare or pull in other files: git must
 * answer then. Conservative: any `worktree` key, any `bare` other than a plain false, any include.
 */
function movesWorkTree(config: string): boolean {
  if (/^\s*worktree\b|^\s*\[\s*include/im.test(config)) return true;
  return config
    .split("\n")
    .filter((line) => /^\s*bare\b/i.test(line))
    .some((line) => !/^\s*bare\s*=\s*(?:false|no|off|0)\s*(?:[#;].*)?$/i.test(line));
}

/**
 * The top level of the work tree containing `dir` (a realpath), found as git finds it, without a
 * git process, in the plain cases: walking up to the first `.git` on the same file system, owned by
 * the current user, that readGitDirs accepts, whose config neither sets core.worktree / core.bare nor
 * includes other files (and no config.worktree). Undefined for anything else — inside a `.git`, no
 * `.git` found, another file system or owner on the way, an unusual layout — and the caller asks
 * `git rev-parse --show-toplevel`. Saves a git process on every omk command.
 */
export function findTopLevel(dir: string): string | undefined {
  try {
    return topLevelOf(dir);
  } catch {
    return undefined;
  }
}

function topLevelOf(dir: string): string | undefined {
  const uid = process.getuid?.();
  const start = lstatSync(dir);
  if (uid === undefined || !start.isDirectory()) return undefined;
  for (let d = dir; ; d = dirname(d)) {
    if (basename(d) === ".git") return undefined;
    const here = lstatSync(d);
    if (here.dev !== start.dev) return undefined;
    const dotGit = lstatSync(join(d, ".git"), { throwIfNoEntry: false });
    if (dotGit !== undefined) {
      if (here.uid !== uid || dotGit.uid !== uid) return undefined;
      const dirs = readGitDirs(d);
      if (dirs === null) return undefined;
      if (lstatSync(join(dirs.gitDir, "config.worktree"), { throwIfNoEntry: false }) !== undefined)
        return undefined;
      const config = readRegularFileSync(join(dirs.commonDir, "config"), 1024 * 1024);
      if (config.kind === "other") return undefined;
      if (config.kind === "file" && movesWorkTree(config.data.toString("utf8"))) return undefined;
      return d;
    }
    if (dirname(d) === d) return undefined;
  }
}
