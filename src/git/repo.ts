import { appendFile, mkdir, readFile, realpath, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { OmkError } from "../core/errors.js";
import { findTopLevel, readGitDirs } from "./dirs.js";
import { parseStatusV2Z, parseStatusZ, type StatusEntry, type StatusV2 } from "./parse.js";
import { git, gitFailure } from "./runner.js";

/** Realpath of the enclosing work tree's top level (a linked worktree's own root); null outside a repo. */
export async function findRepoRoot(cwd: string): Promise<string | null> {
  let dir: string;
  try {
    dir = await realpath(cwd);
    if (!(await stat(dir)).isDirectory()) return null;
  } catch {
    return null;
  }
  const found = findTopLevel(dir);
  if (found !== undefined) return found;
  const r = await git(dir)(["rev-parse", "--show-toplevel"], { allowFail: true });
  if (r.code !== 0) {
    // Only "no repository here" means null; dubious ownership, broken config etc. must surface.
    if (/not a git repository|must be run in a work tree/i.test(r.stderr)) return null;
    throw gitFailure(["rev-parse"], dir, `failed (exit ${r.code})`, r.stderr);
  }
  const top = r.stdout.replace(/\r?\n$/, "");
  // Inside .git itself git answers with an empty line: not a work tree.
  if (top === "") return null;
  return realpath(top);
}

export async function requireRepoRoot(cwd: string): Promise<string> {
  const root = await findRepoRoot(cwd);
  if (root === null) {
    throw new OmkError("NOT_A_GIT_REPO", `not inside a git repository: ${cwd}`, {
      hint: "run inside a git repository (git init)",
      details: { cwd },
    });
  }
  return root;
}

function normalizePrefix(p: string): string {
  return p.replace(/^(\.\/)+/, "");
}

function matchesIgnore(path: string, ignore: readonly string[]): boolean {
  return ignore.some((raw) => {
    const p = normalizePrefix(raw);
    if (p === "") return false;
    if (p.endsWith("/")) return path.startsWith(p) || path === p.slice(0, -1);
    return path === p || path.startsWith(`${p}/`);
  });
}

function describe(e: StatusEntry): string {
  return e.origPath === undefined ? `${e.xy} ${e.path}` : `${e.xy} ${e.origPath} -> ${e.path}`;
}

/**
 * Uncommitted changes including untracked files (each listed, not collapsed to directories). Entries look
 * like porcelain v1 lines ("?? new.txt", " M src/a.ts", "R  old -> new"). `ignore` holds path prefixes
 * (".omk/" ignores everything below it); a rename is ignored only when both of its paths are.
 * A submodule counts when its recorded commit changed, not for changes inside its own work tree: to
 * see those git runs `git status` inside it, under config the agent may have written.
 */
export async function isDirty(
  root: string,
  opts: { ignore?: readonly string[] | undefined } = {},
): Promise<{ dirty: boolean; entries: string[] }> {
  const r = await git(root)([
    "-c",
    "core.quotepath=off",
    "status",
    "--porcelain=v1",
    "-z",
    "--untracked-files=all",
    "--ignore-submodules=dirty",
  ]);
  const ignore = opts.ignore ?? [];
  const entries = parseStatusZ(r.stdout)
    .filter(
      (e) =>
        !(matchesIgnore(e.path, ignore) && (e.origPath === undefined || matchesIgnore(e.origPath, ignore))),
    )
    .map(describe);
  return { dirty: entries.length > 0, entries };
}

/**
 * The work tree's state as `git status --porcelain=v2 -z --branch --untracked-files=all` reports it:
 * HEAD's commit and branch, then every changed, unmerged and untracked path (each untracked file
 * listed). Submodules as in `isDirty`. Takes no lock, writes nothing.
 */
export async function statusPorcelain(root: string): Promise<StatusV2> {
  const r = await git(root)([
    "status",
    "--porcelain=v2",
    "-z",
    "--branch",
    "--untracked-files=all",
    "--ignore-submodules=dirty",
  ]);
  return parseStatusV2Z(r.stdout);
}

/** Absolute path of the repository's common git dir (`.git` of the main worktree, shared by all). */
export async function gitCommonDir(root: string): Promise<string> {
  const read = readGitDirs(root);
  if (read !== null) return read.commonDir;
  const r = await git(root)(["rev-parse", "--path-format=absolute", "--git-common-dir"]);
  const dir = r.stdout.replace(/\r?\n$/, "");
  if (dir === "") throw new OmkError("GIT_FAILED", "git rev-parse --git-common-dir printed nothing");
  return dir;
}

/**
 * Add one pattern to the repository's info/exclude (shared by all worktrees, never committed), unless a
 * line already says exactly that. Returns true when it was added. Two processes racing may both append;
 * a duplicate line is harmless to git.
 */
export async function addToInfoExclude(root: string, pattern: string): Promise<boolean> {
  const wanted = pattern.trim();
  if (wanted === "" || /[\0\r\n]/.test(pattern)) {
    throw new OmkError("USAGE", `invalid exclude pattern ${JSON.stringify(pattern)}`, {
      hint: "pass a single non-empty gitignore pattern such as .omk/worktrees/",
    });
  }
  const r = await git(root)(["rev-parse", "--git-path", "info/exclude"]);
  const file = resolve(root, r.stdout.replace(/\r?\n$/, ""));
  let text = "";
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new OmkError("IO_FAILED", `cannot read ${file}`, { cause: error, hint: "check its permissions" });
    }
  }
  if (text.split("\n").some((line) => line.trim() === wanted)) return false;
  const sep = text === "" || text.endsWith("\n") ? "" : "\n";
  try {
    await mkdir(dirname(file), { recursive: true });
    await appendFile(file, `${sep}${wanted}\n`);
  } catch (error) {
    throw new OmkError("IO_FAILED", `cannot write ${file}`, { cause: error, hint: "check its permissions" });
  }
  return true;
}

/** Whether `rel` is ignored by the repository's ignore rules (tracked or not). */
export async function isIgnored(dir: string, rel: string): Promise<boolean> {
  const r = await git(dir)(["check-ignore", "-q", "--no-index", "--", rel], { allowFail: true });
  return r.code === 0;
}

/**
 * Whether `rel` is ignored and not tracked: a file git will never put in a worktree (a git-ignored
 * lockfile, say), unlike a tracked file an ignore pattern also happens to match.
 */
export async function isIgnoredUntracked(dir: string, rel: string): Promise<boolean> {
  const r = await git(dir)(["check-ignore", "-q", "--", rel], { allowFail: true });
  return r.code === 0;
}

/** Back to HEAD: tracked changes reset, untracked files and directories removed (ignored ones kept). */
export async function discardChanges(dir: string): Promise<void> {
  const g = git(dir);
  await g(["reset", "--quiet", "--hard", "HEAD"]);
  await g(["clean", "--quiet", "-f", "-d"]);
}
