import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { readRegularFileSync } from "../core/fs.js";
import { readGitDirs } from "./dirs.js";
import { FULL_OID as OID, type RefEntry } from "./parse.js";

/** At most this many loose refs are read in-process; a repository with more is left to git. */
const MAX_LOOSE = 20_000;
/** A loose ref is one line; a larger file is not a ref and is described, not read. */
const MAX_LOOSE_BYTES = 64 * 1024;
/** Beyond this, packed-refs is left to git. */
const MAX_PACKED_BYTES = 256 * 1024 * 1024;

/**
 * packed-refs as text: "" when there is none; null, and the caller asks git, when it is anything but
 * a regular file of a sane size. Read without following a symlink or waiting on a FIFO (the agent can
 * plant either there, and these reads are synchronous).
 */
function packedRefsText(commonDir: string): string | null {
  const r = readRegularFileSync(join(commonDir, "packed-refs"), MAX_PACKED_BYTES);
  return r.kind === "missing" ? "" : r.kind === "file" ? r.data.toString("utf8") : null;
}

/**
 * Every ref of the repository whose common git dir is `commonDir`, read from its files as git's
 * "files" backend stores them — `packed-refs`, then loose files under `refs/` (a loose ref wins) —
 * instead of by a `git for-each-ref`: the fingerprint lists refs several times a run, and each git
 * process costs more than these reads (synchronous ones: small local files, where a thread-pool round
 * trip per file costs more than the read). The same shape as listRefs; a loose file that is not a ref
 * (git would warn and skip it) is listed with its content, so changing it still shows. Null, and
 * the caller asks git, for a repository git stores differently (reftable) or one with very many
 * loose refs. Loose refs under a `skip` prefix (ending in "/") are not read: a packed one may still be
 * listed, for the caller to leave out.
 */
export function readRefsFromFiles(commonDir: string, skip: readonly string[] = []): RefEntry[] | null {
  if (isReftable(commonDir)) return null;
  const values = new Map<string, string>();
  const packed = packedRefsText(commonDir);
  if (packed === null) return null;
  for (const line of packed.split("\n")) {
    if (line === "" || line.startsWith("#") || line.startsWith("^")) continue;
    const space = line.indexOf(" ");
    if (space > 0) values.set(line.slice(space + 1), line.slice(0, space));
  }
  const loose: Loose[] = [];
  if (!walk(commonDir, "refs", loose, skip)) return null;
  for (const { name, kind } of loose) {
    const path = join(commonDir, name);
    const text =
      kind === "file"
        ? looseText(path)
        : kind === "symlink"
          ? attempt(() => `symlink ${digest(readlinkSync(path))}`)
          : "not a file";
    // Gone between the listing and the read (another process packed or deleted it): as git would
    // have seen it a moment later.
    if (text !== null) values.set(name, text.replace(/\n$/, ""));
  }
  const refs: RefEntry[] = [];
  for (const name of [...values.keys()].sort()) {
    const value = values.get(name) ?? "";
    if (value.startsWith("ref: ")) {
      const symref = value.slice("ref: ".length);
      refs.push({ name, oid: resolve(values, symref), symref });
    } else refs.push({ name, oid: OID.test(value) ? value : `not a ref: ${digest(value)}` });
  }
  return refs;
}

function isReftable(commonDir: string): boolean {
  return lstatSync(join(commonDir, "reftable"), { throwIfNoEntry: false }) !== undefined;
}

/** A loose ref file's content; what replaced it since it was listed, described; null when it is gone. */
function looseText(path: string): string | null {
  const r = readRegularFileSync(path, MAX_LOOSE_BYTES);
  return r.kind === "file"
    ? r.data.toString("utf8")
    : r.kind === "missing"
      ? null
      : `not a ref file: ${r.detail}`;
}

/** Follows a symbolic ref (a few levels, as git does) to the object id it names; "" when it dangles. */
function resolve(values: ReadonlyMap<string, string>, target: string): string {
  let name = target;
  for (let depth = 0; depth < 5; depth++) {
    const value = values.get(name);
    if (value === undefined) return "";
    if (!value.startsWith("ref: ")) return OID.test(value) ? value : "";
    name = value.slice("ref: ".length);
  }
  return "";
}

/** What is not an object id is never kept as it is (a planted file could hold anything): its digest. */
function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

interface Loose {
  name: string;
  kind: "file" | "symlink" | "other";
}

function attempt<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

/**
 * Collects the loose ref files under `rel` (lock files aside, and whatever lies under a `skip`
 * prefix: a fingerprint leaves the runs' own branches out, and a project collects one per run);
 * false when there are too many.
 */
function walk(base: string, rel: string, out: Loose[], skip: readonly string[]): boolean {
  const entries = attempt(() => readdirSync(join(base, rel), { withFileTypes: true })) ?? [];
  const dirs: string[] = [];
  for (const e of entries) {
    const name = `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (!skip.some((p) => `${name}/`.startsWith(p))) dirs.push(name);
    } else if (!e.name.endsWith(".lock") && !skip.some((p) => name.startsWith(p)))
      out.push({ name, kind: e.isFile() ? "file" : e.isSymbolicLink() ? "symlink" : "other" });
  }
  if (out.length > MAX_LOOSE) return false;
  for (const d of dirs) if (!walk(base, d, out, skip)) return false;
  return true;
}

/** A branch name whose ref file path is plain: no `..`, no empty or dot-leading component, no lock. */
const PLAIN_BRANCH =
  /^(?!\/)(?!.*\/\.)(?!\.)(?!.*\.\.)(?!.*\/\/)(?!.*\.lock(?:\/|$))[A-Za-z0-9._/-]+(?<!\/)$/;

/**
 * The commit `refs/heads/<branch>` of the repository at `root` names, or null when there is no such
 * branch — read from the loose ref file or `packed-refs` as git's files backend keeps them. Undefined
 * (ask git) for anything less plain: a reftable repository, an unusual name, a symbolic ref, a file
 * that is not a ref, a work tree whose git dirs readGitDirs does not read.
 */
export function branchCommitFromFiles(root: string, branch: string): Promise<string | null> | undefined {
  if (!PLAIN_BRANCH.test(branch)) return undefined;
  const dirs = readGitDirs(root);
  if (dirs === null) return undefined;
  const found = attempt(() => lookUp(dirs.commonDir, `refs/heads/${branch}`));
  return found === null ? undefined : Promise.resolve(found.oid);
}

function lookUp(commonDir: string, name: string): { oid: string | null } | null {
  if (isReftable(commonDir)) return null;
  const loose = lstatSync(join(commonDir, name), { throwIfNoEntry: false });
  if (loose?.isFile()) {
    // Gone since the lstat (packed, deleted): null, and git answers.
    const value = looseText(join(commonDir, name))?.replace(/\n$/, "");
    return value !== undefined && OID.test(value) ? { oid: value } : null;
  }
  // A directory there is a prefix of other branches' names; anything else git would have to judge.
  if (loose !== undefined && !loose.isDirectory()) return null;
  const packed = packedRefsText(commonDir);
  if (packed === null) return null;
  for (const line of packed.split("\n")) {
    if (line.endsWith(` ${name}`) && line.length === line.indexOf(" ") + 1 + name.length) {
      const oid = line.slice(0, line.indexOf(" "));
      return OID.test(oid) ? { oid } : null;
    }
  }
  return { oid: null };
}

/**
 * The commit HEAD of the work tree at `dir` names, read from its files: an object id there, or
 * `ref: refs/heads/<branch>` looked up as branchCommitFromFiles does (null: an unborn branch).
 * Undefined, and the caller asks git, for anything less plain.
 */
export function headCommitFromFiles(dir: string): string | null | undefined {
  const dirs = readGitDirs(dir);
  if (dirs === null) return undefined;
  const head = readRegularFileSync(join(dirs.gitDir, "HEAD"), MAX_LOOSE_BYTES);
  if (head.kind !== "file") return undefined;
  const text = head.data.toString("utf8").replace(/\n$/, "");
  if (OID.test(text)) return text;
  const branch = /^ref: refs\/heads\/(.+)$/.exec(text)?.[1];
  if (branch === undefined || !PLAIN_BRANCH.test(branch)) return undefined;
  const found = attempt(() => lookUp(dirs.commonDir, `refs/heads/${branch}`));
  return found === null ? undefined : found.oid;
}
