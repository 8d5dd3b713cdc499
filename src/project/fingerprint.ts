import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { readRegularFileSync } from "../core/fs.js";
import type { RefEntry, StatusV2Entry } from "../git/parse.js";
import { listRefs } from "../git/refs.js";
import { readRefsFromFiles } from "../git/refs-files.js";
import { gitCommonDir, statusPorcelain } from "../git/repo.js";

/**
 * What the agent could change in the repository outside its own worktree: the shared git dir (config,
 * hooks, info/, refs) and the main checkout (HEAD and files). Taken before and after every agent turn;
 * `diffFingerprints` names what differs. Plain JSON, so it can be stored or sent as it is.
 */
export interface RepoFingerprint {
  /**
   * Files under the common git dir, by path relative to it: `config`, `config.worktree`, `packed-refs`
   * (without lines for excluded refs), `objects/info/alternates`, and everything under `hooks/` and
   * `info/` (sample hooks included).
   */
  gitFiles: Record<string, GitFileState>;
  /** Every ref outside the excluded prefixes, by full name. */
  refs: Record<string, { oid: string; symref?: string | undefined }>;
  /** HEAD of the main checkout: its branch (short name; null when detached) and commit (null when unborn). */
  head: { branch: string | null; commit: string | null };
  /** The main checkout's changed and untracked paths (outside `.omk/worktrees/`): git's record and the file's stat. */
  checkout: Record<string, CheckoutEntry>;
}

export type GitFileState =
  | { kind: "file"; mode: number; sha256: string }
  | { kind: "symlink"; target: string }
  | { kind: "other"; detail: string };

export interface CheckoutEntry {
  kind: StatusV2Entry["kind"];
  xy: string;
  origPath?: string | undefined;
  /** git's fields (modes, object ids) and the work-tree file's type, size and times, in one string. */
  state: string;
}

/** Single files read from the common git dir, beside the `hooks/` and `info/` trees. */
const GIT_FILES = ["config", "config.worktree", "packed-refs", "objects/info/alternates"] as const;
const GIT_TREES = ["hooks", "info"] as const;
/** A larger file there is recorded by size, change time and inode, not read. */
const MAX_GIT_FILE_BYTES = 256 * 1024 * 1024;
/** Run worktrees and gate workspaces live here; they change during every run by design. */
const CHECKOUT_IGNORED_PREFIX = ".omk/worktrees/";

/**
 * The common git dir of each root fingerprinted in this process: a run fingerprints the same root
 * three times per attempt. Kept, not re-read: an agent that moves or replaces `.git` makes the files
 * read from the remembered dir disappear and `status`/`for-each-ref` see another repository, and both
 * show up as changes.
 */
const commonDirs = new Map<string, Promise<string>>();

function commonDirOf(root: string): Promise<string> {
  let dir = commonDirs.get(root);
  if (dir === undefined) {
    dir = gitCommonDir(root);
    dir.catch(() => commonDirs.delete(root));
    commonDirs.set(root, dir);
  }
  return dir;
}

/**
 * Fingerprint the repository at `root` (the main checkout). Refs under `excludeRefPrefixes` (omk passes
 * `refs/heads/omk/run/`: concurrent runs move their own branches) are left out, of `packed-refs` too.
 * One git process (two the first time: the common dir), in parallel with the file reads; the refs are
 * read from their files (`readRefsFromFiles`) where git stores them that way.
 */
export async function fingerprintRepo(
  root: string,
  opts: { excludeRefPrefixes: readonly string[] },
): Promise<RepoFingerprint> {
  const excluded = excludedBy(opts.excludeRefPrefixes);
  const statusP = checkoutStatus(root);
  statusP.catch(() => {});
  const dir = await commonDirOf(root);
  const gitFiles = readGitFiles(dir, excluded);
  const refs = readRefsFromFiles(dir, opts.excludeRefPrefixes) ?? (await listRefs(root));
  const status = await statusP;
  return {
    gitFiles,
    refs: refsRecord(refs, excluded),
    head: { branch: status.head, commit: status.oid },
    checkout: checkoutRecord(root, status.entries),
  };
}

/**
 * The main checkout's status, from a `git status` that starts after this call: one already running may
 * have read the checkout before whatever the caller must see. Callers that arrive while one runs share
 * the next one, so a goal's lanes, finishing their turns together, each fingerprinting the same
 * checkout, start one git process between them instead of one each.
 */
export function checkoutStatus(root: string): ReturnType<typeof statusPorcelain> {
  const slot: StatusSlot = statuses.get(root) ?? { running: null, next: null };
  statuses.set(root, slot);
  const start = () => {
    const p = statusPorcelain(root);
    slot.running = p;
    const done = () => {
      if (slot.running === p) slot.running = null;
    };
    p.then(done, done);
    return p;
  };
  if (slot.running === null) return start();
  slot.next ??= slot.running
    .catch(() => {})
    .then(() => {
      slot.next = null;
      return start();
    });
  return slot.next;
}

type Status = Awaited<ReturnType<typeof statusPorcelain>>;
interface StatusSlot {
  running: Promise<Status> | null;
  next: Promise<Status> | null;
}
const statuses = new Map<string, StatusSlot>();

const excludedBy =
  (prefixes: readonly string[]) =>
  (name: string): boolean =>
    prefixes.some((p) => name.startsWith(p));

/**
 * Whether the files of the common git dir that `fingerprintRepo` records (config, hooks, info/, object
 * alternates, packed-refs) are still as in `before`: read in process, without git. What makes git run
 * a program or hide a file is there; the rest of the fingerprint (refs, the main checkout) needs git.
 */
export async function gitDirFilesUnchanged(
  root: string,
  before: RepoFingerprint,
  opts: { excludeRefPrefixes: readonly string[] },
): Promise<boolean> {
  const now = readGitFiles(await commonDirOf(root), excludedBy(opts.excludeRefPrefixes));
  return isDeepStrictEqual(now, before.gitFiles);
}

/**
 * The main checkout's uncommitted changes (omk's worktrees aside) as `git status --short` names them
 * (" M src/a.ts", "?? new.txt", "R  old -> new"), sorted: what makes a checkout dirty.
 */
export function dirtyEntries(fp: RepoFingerprint): string[] {
  return Object.keys(fp.checkout)
    .sort()
    .map((path) => {
      const e = fp.checkout[path] as CheckoutEntry;
      const xy = e.xy.replaceAll(".", " ");
      return e.origPath === undefined ? `${xy} ${path}` : `${xy} ${e.origPath} -> ${path}`;
    });
}

function refsRecord(refs: readonly RefEntry[], excluded: (name: string) => boolean): RepoFingerprint["refs"] {
  const out: RepoFingerprint["refs"] = {};
  for (const r of refs) {
    if (excluded(r.name)) continue;
    out[r.name] = r.symref === undefined ? { oid: r.oid } : { oid: r.oid, symref: r.symref };
  }
  return out;
}

/**
 * Synchronous on purpose, like the refs (`readRefsFromFiles`): a few dozen small local files, where
 * each asynchronous call is a thread-pool round trip that waits behind whatever else the run has in
 * flight — together tens of milliseconds on every fingerprint, against about one.
 */
function readGitFiles(commonDir: string, excluded: (name: string) => boolean): Record<string, GitFileState> {
  const out: Record<string, GitFileState> = {};
  for (const rel of GIT_FILES)
    stateOf(commonDir, rel, out, rel === "packed-refs" ? (b) => withoutExcludedRefs(b, excluded) : undefined);
  for (const rel of GIT_TREES) stateOf(commonDir, rel, out);
  return out;
}

/** Record `rel` (a directory: everything under it) in `out`; nothing when it does not exist. */
function stateOf(
  base: string,
  rel: string,
  out: Record<string, GitFileState>,
  /** Returns the bytes that count, or null when the file counts as absent. */
  transform?: (content: Buffer) => Buffer | null,
): void {
  const path = join(base, rel);
  try {
    const st = lstatSync(path);
    if (st.isDirectory()) {
      for (const n of readdirSync(path).sort()) stateOf(base, `${rel}/${n}`, out);
    } else if (st.isSymbolicLink()) {
      out[rel] = { kind: "symlink", target: readlinkSync(path) };
    } else if (st.isFile()) {
      // Not a plain read: the agent can swap a FIFO in after the lstat, and this read is synchronous.
      const read = readRegularFileSync(path, MAX_GIT_FILE_BYTES);
      if (read.kind === "missing") return;
      if (read.kind === "other") {
        out[rel] = { kind: "other", detail: read.detail };
        return;
      }
      const content = transform === undefined ? read.data : transform(read.data);
      if (content === null) return;
      const sha256 = createHash("sha256").update(content).digest("hex");
      out[rel] = { kind: "file", mode: read.stat.mode & 0o7777, sha256 };
    } else {
      out[rel] = { kind: "other", detail: `mode ${(st.mode >>> 0).toString(8)}` };
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Gone (or never there): absent from the fingerprint. A file that cannot be read still counts.
    if (code === "ENOENT" || code === "ENOTDIR") return;
    out[rel] = { kind: "other", detail: `unreadable (${code ?? String(error)})` };
  }
}

/**
 * The ref lines of packed-refs, without those of excluded refs (and the peeled "^oid" lines that follow
 * them); null when none is left. The header comment does not count: git writes a header-only file when
 * it deletes a loose ref, which changes nothing.
 */
function withoutExcludedRefs(content: Buffer, excluded: (name: string) => boolean): Buffer | null {
  const kept: string[] = [];
  let skipping = false;
  for (const line of content.toString("utf8").split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("^")) {
      if (!skipping) kept.push(line);
      continue;
    }
    const space = line.indexOf(" ");
    skipping = space > 0 && excluded(line.slice(space + 1));
    if (!skipping) kept.push(line);
  }
  return kept.length === 0 ? null : Buffer.from(`${kept.join("\n")}\n`, "utf8");
}

function checkoutRecord(root: string, entries: readonly StatusV2Entry[]): Record<string, CheckoutEntry> {
  const out: Record<string, CheckoutEntry> = {};
  const kept = entries.filter(
    (e) =>
      !e.path.startsWith(CHECKOUT_IGNORED_PREFIX) &&
      `${e.path}/` !== CHECKOUT_IGNORED_PREFIX &&
      !(e.origPath?.startsWith(CHECKOUT_IGNORED_PREFIX) ?? false),
  );
  for (const e of kept) {
    out[e.path] = {
      kind: e.kind,
      xy: e.xy,
      ...(e.origPath === undefined ? {} : { origPath: e.origPath }),
      // The stat catches a further edit to a file that was already changed (git's record stays the same).
      state: `${e.fields}|${fileStamp(join(root, e.path))}`,
    };
  }
  return out;
}

function fileStamp(path: string): string {
  try {
    const st = lstatSync(path, { bigint: true });
    return `${st.mode.toString(8)}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch (error) {
    return `-${(error as NodeJS.ErrnoException).code ?? ""}`;
  }
}

function short(oid: string | null): string {
  return oid === null ? "(none)" : oid.slice(0, 10);
}

/**
 * Whether a line of diffFingerprints names a change to what makes git run programs or hide files —
 * config, hooks, info/ (excludes, attributes), object alternates — rather than refs, HEAD, the main
 * checkout or packed-refs (git gc repacks refs; their values are compared one by one). Such a change
 * is never accepted as the person's own (`run resume --accept-outside-changes`).
 */
export function changeRunsCode(line: string): boolean {
  if (line.startsWith(".git/packed-refs ")) return false;
  return line.startsWith("hook ") || line.startsWith("info/") || line.startsWith(".git/");
}

/** How a git-dir file is named in a message (changeRunsCode reads these names back). */
function gitFileName(rel: string): string {
  if (rel.startsWith("hooks/")) return `hook ${rel.slice("hooks/".length)}`;
  if (rel.startsWith("info/")) return rel;
  return `.git/${rel}`;
}

function describeGitFileChange(rel: string, a: GitFileState, b: GitFileState): string {
  const name = gitFileName(rel);
  if (a.kind === "file" && b.kind === "file" && a.sha256 === b.sha256 && a.mode !== b.mode) {
    const exec = (m: number) => (m & 0o111) !== 0;
    if (!exec(a.mode) && exec(b.mode)) return `${name} made executable`;
    return `${name} mode changed ${a.mode.toString(8)} → ${b.mode.toString(8)}`;
  }
  if (b.kind === "symlink") return `${name} changed (now a symlink to ${b.target})`;
  return `${name} changed`;
}

function checkoutChange(e: CheckoutEntry, before: CheckoutEntry | undefined): string {
  const existed = before !== undefined;
  if (e.kind === "?") return existed ? "modified (untracked)" : "created (untracked)";
  if (e.kind === "!") return "created (ignored)";
  if (e.kind === "u") return "conflicted";
  if (e.kind === "2") return `renamed from ${e.origPath ?? "?"}`;
  if (e.xy.includes("D")) return "deleted";
  if (e.xy.charAt(0) === "A" && (!existed || before.kind === "?")) return "added";
  return "modified";
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sortedKeys(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

/**
 * What differs from `before` to `after`, one human-readable line per change, in a stable order: git-dir
 * files (config, hooks, info/, …), refs, HEAD, then the main checkout. Empty when nothing changed.
 */
export function diffFingerprints(before: RepoFingerprint, after: RepoFingerprint): string[] {
  const out: string[] = [];
  for (const rel of sortedKeys(before.gitFiles, after.gitFiles)) {
    const a = before.gitFiles[rel];
    const b = after.gitFiles[rel];
    if (a === undefined && b !== undefined) out.push(`${gitFileName(rel)} added`);
    else if (a !== undefined && b === undefined) out.push(`${gitFileName(rel)} removed`);
    else if (a !== undefined && b !== undefined && !same(a, b)) out.push(describeGitFileChange(rel, a, b));
  }
  for (const name of sortedKeys(before.refs, after.refs)) {
    const a = before.refs[name];
    const b = after.refs[name];
    if (a === undefined && b !== undefined) {
      out.push(`${name} created${b.symref === undefined ? ` at ${short(b.oid)}` : ` → ${b.symref}`}`);
    } else if (a !== undefined && b === undefined) {
      out.push(`${name} deleted (was ${a.symref ?? short(a.oid)})`);
    } else if (a !== undefined && b !== undefined) {
      if (a.symref !== b.symref)
        out.push(`${name} now points to ${b.symref ?? short(b.oid)} (was ${a.symref ?? short(a.oid)})`);
      else if (a.oid !== b.oid) out.push(`${name} moved ${short(a.oid)} → ${short(b.oid)}`);
    }
  }
  const ha = before.head;
  const hb = after.head;
  if (ha.branch !== hb.branch) {
    out.push(
      `main checkout: HEAD switched from ${ha.branch ?? "(detached)"} to ${hb.branch ?? "(detached)"}`,
    );
  } else if (ha.commit !== hb.commit) {
    // On a branch that is fingerprinted, that branch's own line above already says it moved.
    const tracked = hb.branch !== null && after.refs[`refs/heads/${hb.branch}`] !== undefined;
    if (!tracked) {
      out.push(
        `main checkout: HEAD (${hb.branch ?? "detached"}) moved ${short(ha.commit)} → ${short(hb.commit)}`,
      );
    }
  }
  for (const path of sortedKeys(before.checkout, after.checkout)) {
    const a = before.checkout[path];
    const b = after.checkout[path];
    if (b !== undefined && (a === undefined || !same(a, b)))
      out.push(`main checkout: ${path} ${checkoutChange(b, a)}`);
    else if (a !== undefined && b === undefined) {
      out.push(
        a.kind === "?"
          ? `main checkout: ${path} removed (was untracked)`
          : `main checkout: ${path} no longer changed`,
      );
    }
  }
  return out;
}
