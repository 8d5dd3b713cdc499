import { OmkError } from "../core/errors.js";

/** Pure parsers for git's NUL-separated (`-z`) outputs; no quoting to undo, paths are taken verbatim. */

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
