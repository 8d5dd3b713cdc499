import { OmkError } from "../core/errors.js";

/** Pure parsers for git's NUL-separated (`-z`) outputs; no quoting to undo, paths are taken verbatim. */

/** A full object id: 40 hex digits (SHA-1) or 64 (SHA-256). */
export const FULL_OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export type ChangeStatus = "A" | "M" | "D" | "R" | "T" | "C";

export interface ChangedFile {
  path: string;
  /** Source path of a rename or copy. */
  oldPath?: string | undefined;
  status: ChangeStatus;
  /** Null for binary files (numstat reports "-"). */
  added: number | null;
  deleted: number | null;
  binary: boolean;
}

export interface StatusEntry {
  /** The two porcelain status letters, e.g. " M", "??", "R ". */
  xy: string;
  path: string;
  origPath?: string | undefined;
}

export interface WorktreeInfo {
  path: string;
  head: string | null;
  branch: string | null;
  bare: boolean;
  detached: boolean;
  locked: boolean;
  prunable: boolean;
}

function malformed(what: string, detail: string): OmkError {
  return new OmkError("GIT_FAILED", `unexpected output from git ${what}: ${detail}`, {
    hint: "this git version may be unsupported; omk needs git 2.38 or newer",
  });
}

/** Split a -z stream into fields; the trailing terminator does not make an extra field. */
export function splitZ(out: string): string[] {
  if (out === "") return [];
  const fields = out.split("\0");
  if (fields[fields.length - 1] === "") fields.pop();
  return fields;
}

/** `git status --porcelain=v1 -z`: "XY path", and for renames/copies "XY new" followed by "orig". */
export function parseStatusZ(out: string): StatusEntry[] {
  const fields = splitZ(out);
  const entries: StatusEntry[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] ?? "";
    if (f.length < 4 || f[2] !== " ") throw malformed("status", JSON.stringify(f.slice(0, 40)));
    const xy = f.slice(0, 2);
    const entry: StatusEntry = { xy, path: f.slice(3) };
    if (xy.includes("R") || xy.includes("C")) {
      const orig = fields[++i];
      if (orig === undefined) throw malformed("status", "rename without source path");
      entry.origPath = orig;
    }
    entries.push(entry);
  }
  return entries;
}

const STATUSES: ReadonlySet<string> = new Set(["A", "M", "D", "R", "T", "C"]);

interface RawEntry {
  status: ChangeStatus;
  path: string;
  oldPath?: string | undefined;
}

interface NumEntry {
  path: string;
  added: number | null;
  deleted: number | null;
}

function parseCount(s: string): number | null {
  if (s === "-") return null;
  if (!/^\d+$/.test(s)) throw malformed("diff --numstat", JSON.stringify(s));
  return Number(s);
}

/**
 * `git diff --raw --numstat -z` in one stream: raw records (":modes shas STATUS\0path\0[path\0]") come first,
 * then numstat records ("A\tD\tpath\0" or "A\tD\t\0old\0new\0"). Fields are consumed positionally, so a
 * path that itself starts with ":" or contains tabs is never mistaken for a record header.
 */
export function parseRawNumstatZ(out: string): ChangedFile[] {
  const fields = splitZ(out);
  const raw: RawEntry[] = [];
  const nums: NumEntry[] = [];
  let i = 0;
  const next = (what: string): string => {
    const f = fields[i++];
    if (f === undefined) throw malformed("diff", `missing ${what}`);
    return f;
  };
  while (i < fields.length) {
    const head = next("record");
    if (head.startsWith(":")) {
      const letter = (head.split(" ").pop() ?? "").charAt(0);
      if (!STATUSES.has(letter)) throw malformed("diff --raw", `status ${JSON.stringify(letter)}`);
      const status = letter as ChangeStatus;
      if (status === "R" || status === "C") {
        const oldPath = next("rename source");
        raw.push({ status, oldPath, path: next("rename target") });
      } else {
        raw.push({ status, path: next("path") });
      }
      continue;
    }
    const parts = head.split("\t");
    if (parts.length < 3) throw malformed("diff --numstat", JSON.stringify(head.slice(0, 40)));
    const added = parseCount(parts[0] ?? "");
    const deleted = parseCount(parts[1] ?? "");
    const inlinePath = parts.slice(2).join("\t");
    if (inlinePath === "") {
      next("rename source");
      nums.push({ added, deleted, path: next("rename target") });
    } else {
      nums.push({ added, deleted, path: inlinePath });
    }
  }
  if (raw.length !== nums.length) {
    throw malformed("diff", `${raw.length} raw records but ${nums.length} numstat records`);
  }
  return raw.map((r, k) => {
    const n = nums[k];
    if (n === undefined || n.path !== r.path) throw malformed("diff", `records out of step at ${r.path}`);
    const binary = n.added === null || n.deleted === null;
    return {
      path: r.path,
      ...(r.oldPath === undefined ? {} : { oldPath: r.oldPath }),
      status: r.status,
      added: binary ? null : n.added,
      deleted: binary ? null : n.deleted,
      binary,
    };
  });
}

const ZERO_OID = /^0+$/;

/** `git worktree list --porcelain -z`: attribute fields, each worktree ended by an empty field. */
export function parseWorktreeListZ(out: string): WorktreeInfo[] {
  const result: WorktreeInfo[] = [];
  let cur: WorktreeInfo | null = null;
  for (const f of out.split("\0")) {
    if (f === "") {
      if (cur !== null) result.push(cur);
      cur = null;
      continue;
    }
    const sp = f.indexOf(" ");
    const key = sp === -1 ? f : f.slice(0, sp);
    const value = sp === -1 ? "" : f.slice(sp + 1);
    if (key === "worktree") {
      if (cur !== null) result.push(cur);
      cur = {
        path: value,
        head: null,
        branch: null,
        bare: false,
        detached: false,
        locked: false,
        prunable: false,
      };
      continue;
    }
    if (cur === null) throw malformed("worktree list", `attribute ${JSON.stringify(key)} before worktree`);
    if (key === "HEAD") cur.head = ZERO_OID.test(value) ? null : value;
    else if (key === "branch") cur.branch = value.startsWith("refs/heads/") ? value.slice(11) : value;
    else if (key === "bare") cur.bare = true;
    else if (key === "detached") cur.detached = true;
    else if (key === "locked") cur.locked = true;
    else if (key === "prunable") cur.prunable = true;
  }
  if (cur !== null) result.push(cur);
  return result;
}

/** `git merge-tree --write-tree --name-only -z --no-messages`: "tree\0" then one conflicted path per field. */
export function parseMergeTreeZ(out: string): { tree: string; conflicts: string[] } {
  const fields = out.split("\0");
  const tree = fields[0] ?? "";
  if (!/^[0-9a-f]{40,64}$/.test(tree)) throw malformed("merge-tree", JSON.stringify(tree.slice(0, 80)));
  const conflicts = new Set<string>();
  for (const f of fields.slice(1)) {
    if (f === "") break;
    conflicts.add(f);
  }
  return { tree, conflicts: [...conflicts] };
}

/**
 * Paths of submodule entries (mode 160000) in `git ls-tree -r -z` ("mode type oid\tpath") or
 * `git ls-files --stage -z` ("mode oid stage\tpath") output.
 */
export function parseGitlinksZ(out: string): string[] {
  const links: string[] = [];
  for (const f of splitZ(out)) {
    if (!f.startsWith("160000 ")) continue;
    const tab = f.indexOf("\t");
    if (tab < 0) throw malformed("ls-files", JSON.stringify(f.slice(0, 80)));
    links.push(f.slice(tab + 1));
  }
  return links;
}

/** One record of `git status --porcelain=v2 -z`. */
export interface StatusV2Entry {
  /** "1" changed, "2" renamed or copied, "u" unmerged, "?" untracked, "!" ignored. */
  kind: "1" | "2" | "u" | "?" | "!";
  /** The two status letters ("." for unchanged); "??" / "!!" for untracked / ignored. */
  xy: string;
  path: string;
  /** Source of a rename or copy. */
  origPath?: string | undefined;
  /** Everything git printed before the path (modes, object ids, submodule state): a change in any shows here. */
  fields: string;
}

export interface StatusV2 {
  /** `# branch.oid`: null on an unborn branch. */
  oid: string | null;
  /** `# branch.head`: the short branch name, or null when HEAD is detached. */
  head: string | null;
  entries: StatusV2Entry[];
}

/** Fields before the path: "1 XY sub mH mI mW hH hI" (8), "2 … Xscore" (9), "u XY sub m1 m2 m3 mW h1 h2 h3" (10). */
const V2_FIELDS: Readonly<Record<string, number>> = { "1": 8, "2": 9, u: 10 };

/** `git status --porcelain=v2 -z [--branch]`: headers, then records; a rename's source is the next field. */
export function parseStatusV2Z(out: string): StatusV2 {
  const fields = splitZ(out);
  const result: StatusV2 = { oid: null, head: null, entries: [] };
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] ?? "";
    if (f.startsWith("# ")) {
      const [key, ...rest] = f.slice(2).split(" ");
      const value = rest.join(" ");
      if (key === "branch.oid") result.oid = value === "(initial)" ? null : value;
      else if (key === "branch.head") result.head = value === "(detached)" ? null : value;
      continue;
    }
    const kind = f.charAt(0);
    if ((kind === "?" || kind === "!") && f.charAt(1) === " ") {
      result.entries.push({ kind, xy: kind + kind, path: f.slice(2), fields: "" });
      continue;
    }
    const n = V2_FIELDS[kind];
    if (n === undefined) throw malformed("status --porcelain=v2", JSON.stringify(f.slice(0, 40)));
    // The path is whatever follows the n-th space: it may itself contain spaces.
    let at = -1;
    for (let k = 0; k < n; k++) {
      at = f.indexOf(" ", at + 1);
      if (at < 0) throw malformed("status --porcelain=v2", JSON.stringify(f.slice(0, 40)));
    }
    const entry: StatusV2Entry = {
      kind: kind as "1" | "2" | "u",
      xy: f.slice(2, 4),
      path: f.slice(at + 1),
      fields: f.slice(0, at),
    };
    if (kind === "2") {
      const orig = fields[++i];
      if (orig === undefined) throw malformed("status --porcelain=v2", "rename without source path");
      entry.origPath = orig;
    }
    result.entries.push(entry);
  }
  return result;
}

export interface RefEntry {
  /** Full name, e.g. refs/heads/main. */
  name: string;
  /** The object the ref (or, for a symbolic ref, its target) points at. */
  oid: string;
  /** For a symbolic ref, the full name of its target. */
  symref?: string | undefined;
}

/** `git for-each-ref --format=%(refname)%00%(objectname)%00%(symref)`: one line per ref. */
export function parseRefList(out: string): RefEntry[] {
  const refs: RefEntry[] = [];
  for (const line of out.split("\n")) {
    if (line === "") continue;
    const [name, oid, symref] = line.split("\0");
    if (name === undefined || oid === undefined || symref === undefined) {
      throw malformed("for-each-ref", JSON.stringify(line.slice(0, 80)));
    }
    refs.push(symref === "" ? { name, oid } : { name, oid, symref });
  }
  return refs;
}

/** The files of a `--raw --numstat -z` diff and their summed line counts (binary files count 0). */
export function parseDiffSummary(stdout: string): { files: ChangedFile[]; added: number; deleted: number } {
  const files = parseRawNumstatZ(stdout);
  let added = 0;
  let deleted = 0;
  for (const f of files) {
    added += f.added ?? 0;
    deleted += f.deleted ?? 0;
  }
  return { files, added, deleted };
}
