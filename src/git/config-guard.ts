import { lstatSync } from "node:fs";
import { join } from "node:path";
import { readGitDirs } from "./dirs.js";

/**
 * What keeps commands configured in the repository from running inside omk. The agent shares the
 * user's uid and can write the repository's config (`.git/config`, shared by every worktree), its
 * `config.worktree` files, `.git/hooks/*`, `info/attributes` and `.gitattributes`; none of it may
 * make git start a program while omk drives it.
 *
 * Two parts:
 * - fixed settings for every call (`GUARD_CONFIG` as command-scope config, `GUARD_ENV`), which win
 *   over anything in a config file;
 * - per repository, the attribute-driven drivers (`filter.<name>.*`, `diff.<name>.*`,
 *   `merge.<name>.driver`) defined in its own config: git has no switch that turns them off, so each
 *   command key of each such name is pinned to the value the user's system/global config gives it,
 *   or to an empty value, which makes git run nothing (see `driverOverrides`).
 *
 * Everything travels as GIT_CONFIG_COUNT / GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n, not `-c`: argv in
 * messages stays readable, and keys holding "=" (a subsection may) pass intact.
 */

/**
 * Command-scope config for every git call. An empty value where git would otherwise run a program
 * means "run nothing": for a pager, askpass and credential helper git skips an empty one; for
 * diff.external and the gpg programs git fails the command instead (they are off anyway: every omk
 * diff passes --no-ext-diff, and signing and signature checks are off below).
 */
export const GUARD_CONFIG: readonly (readonly [string, string])[] = [
  // A directory nothing can be created in: no hook (pre-commit, post-checkout, post-merge,
  // reference-transaction, post-index-change, …) is ever found.
  ["core.hooksPath", "/dev/null"],
  ["core.fsmonitor", "false"],
  ["core.fsmonitorHookVersion", "2"],
  ["core.untrackedCache", "false"],
  ["core.pager", "cat"],
  // ":" is git's no-op editor: git starts no process for it.
  ["core.editor", ":"],
  ["sequence.editor", ":"],
  ["core.askPass", ""],
  // An empty helper resets the list, URL-specific helpers included (command scope comes last).
  ["credential.helper", ""],
  ["diff.external", ""],
  ["commit.gpgSign", "false"],
  ["tag.gpgSign", "false"],
  ["merge.verifySignatures", "false"],
  ["log.showSignature", "false"],
  ["gpg.program", ""],
  ["gpg.openpgp.program", ""],
  ["gpg.x509.program", ""],
  ["gpg.ssh.program", ""],
  ["gpg.ssh.defaultKeyCommand", ""],
  // Submodule work trees hold agent-controlled repositories; never recurse into them.
  ["submodule.recurse", "false"],
  // `git merge` takes its default strategy from pull.twohead; a non-builtin one is a program.
  ["pull.twohead", "ort"],
  ["pull.octopus", "octopus"],
  // No auto gc / maintenance: it detaches a background process that outlives the call.
  ["gc.auto", "0"],
  ["maintenance.auto", "false"],
];

/**
 * Environment for every git call. GIT_EDITOR / GIT_SEQUENCE_EDITOR / GIT_PAGER outrank any config;
 * an empty GIT_ASKPASS skips core.askPass and SSH_ASKPASS. GIT_ALLOW_PROTOCOL overrides every
 * protocol.*.allow setting: "-" can be no transport's name (a URL scheme starts with a letter), so no
 * transport at all is allowed — omk never fetches, and a planted partial-clone remote
 * (`ext::<command>`, a `<helper>::` URL, an upload-pack path) would otherwise be contacted by a lazy
 * fetch. Replace refs would let a planted ref stand in for the base commit omk judges against.
 */
export const GUARD_ENV: Readonly<Record<string, string>> = {
  GIT_EDITOR: ":",
  GIT_SEQUENCE_EDITOR: ":",
  GIT_PAGER: "cat",
  GIT_ASKPASS: "",
  GIT_ALLOW_PROTOCOL: "-",
  GIT_NO_REPLACE_OBJECTS: "1",
};

/** Driver sections and the keys in them that name a program (plus filter.<name>.required). */
const DRIVER_KEYS: Readonly<Record<string, readonly string[]>> = {
  filter: ["clean", "smudge", "process", "required"],
  diff: ["command", "textconv"],
  merge: ["driver"],
};

/** Value when no trusted scope sets the key: empty runs nothing; a filter that is not required may do nothing. */
function fallback(section: string, key: string): string {
  return section === "filter" && key === "required" ? "false" : "";
}

/** Config the user wrote outside the repository; everything else may have been written by the agent. */
const TRUSTED_SCOPES: ReadonlySet<string> = new Set(["system", "global", "command"]);

/**
 * What `git config --get-regexp` is asked for: driver sections, merge.default, include directives —
 * and the user's identity, which the same read answers for commits (see configFor).
 */
export const GUARD_CONFIG_REGEX = "^((filter|diff|merge|include|includeif)\\.|user\\.(name|email)$)";

export interface ConfigEntry {
  scope: string;
  origin: string;
  key: string;
  /** null for a key written without "=" (boolean true). */
  value: string | null;
}

/** `git config -z --show-scope --show-origin …`: records "scope\0origin\0key\nvalue\0" (no "\nvalue" for a bare key). */
export function parseConfigDumpZ(out: string): ConfigEntry[] {
  const fields = out.split("\0");
  const entries: ConfigEntry[] = [];
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const scope = fields[i] ?? "";
    const origin = fields[i + 1] ?? "";
    const kv = fields[i + 2] ?? "";
    const nl = kv.indexOf("\n");
    entries.push(
      nl < 0
        ? { scope, origin, key: kv, value: null }
        : { scope, origin, key: kv.slice(0, nl), value: kv.slice(nl + 1) },
    );
  }
  return entries;
}

/** "filter.a.b.clean" → section "filter", subsection "a.b", name "clean" (git's own split). */
function splitKey(key: string): { section: string; subsection: string | null; name: string } {
  const first = key.indexOf(".");
  const last = key.lastIndexOf(".");
  if (first < 0) return { section: key, subsection: null, name: "" };
  return {
    section: key.slice(0, first),
    subsection: first === last ? null : key.slice(first + 1, last),
    name: key.slice(last + 1),
  };
}

export interface DriverOverrides {
  /** Command-scope settings that neutralise the repository's own drivers. */
  overrides: [string, string][];
  /** The repository's config includes other files; which ones may depend on where git runs. */
  untrustedIncludes: boolean;
}

/**
 * For every driver name the repository's config (local or worktree scope, includes too) defines
 * anything for, pin each of that driver's command keys: to the last value a trusted scope
 * (system/global) gives it, so the user's own drivers (git-lfs, …) keep working, or else to an empty
 * value. git runs nothing for an empty filter command (and, with required=false, does not fail);
 * an empty textconv/diff command/merge driver makes the git command that would use it fail instead of
 * running anything. merge.default set by the repository is pinned to the trusted value or "text".
 */
export function driverOverrides(entries: readonly ConfigEntry[]): DriverOverrides {
  const trusted = new Map<string, string>();
  const untrusted = new Map<string, Set<string>>();
  let mergeDefault = false;
  let untrustedIncludes = false;
  for (const e of entries) {
    const { section, subsection } = splitKey(e.key);
    if (TRUSTED_SCOPES.has(e.scope)) {
      trusted.set(e.key, e.value ?? "true");
      continue;
    }
    if (section === "include" || section === "includeif") untrustedIncludes = true;
    if (e.key === "merge.default") mergeDefault = true;
    if (subsection !== null && DRIVER_KEYS[section] !== undefined) {
      const names = untrusted.get(section) ?? new Set<string>();
      names.add(subsection);
      untrusted.set(section, names);
    }
  }
  const overrides: [string, string][] = [];
  for (const [section, names] of untrusted) {
    for (const name of names) {
      for (const k of DRIVER_KEYS[section] ?? []) {
        const key = `${section}.${name}.${k}`;
        overrides.push([key, trusted.get(key) ?? fallback(section, k)]);
      }
    }
  }
  if (mergeDefault) overrides.push(["merge.default", trusted.get("merge.default") ?? "text"]);
  return { overrides, untrustedIncludes };
}

/** GIT_CONFIG_COUNT / GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n for `pairs`. */
export function configEnv(pairs: readonly (readonly [string, string])[]): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(pairs.length) };
  pairs.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** What one read of a directory's repository config produced. */
export interface GuardRead {
  /** Output of `git config -z --show-scope --show-origin --get-regexp GUARD_CONFIG_REGEX` ("" when none). */
  config: string;
  /** Absolute common git dir and git dir of the directory's repository; null outside a repository. */
  dirs: { commonDir: string; gitDir: string } | null;
}

export type GuardReader = (cwd: string) => Promise<GuardRead>;

/** A file's identity and change stamps; a directory by identity only (git touches .git/ constantly). */
type Stamp = string;

/** Synchronous on purpose: four lstat calls cost microseconds, the thread-pool round trips of async ones ~0.2 ms. */
function stampOf(path: string): { stamp: Stamp; changedMs: number; fine: boolean } {
  try {
    const st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
    if (st === undefined) return { stamp: "-", changedMs: 0, fine: true };
    if (st.isDirectory()) return { stamp: `d:${st.dev}:${st.ino}`, changedMs: 0, fine: true };
    const changed = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
    return {
      stamp: `f:${st.dev}:${st.ino}:${st.mode}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`,
      changedMs: Number(changed / 1_000_000n),
      // Whole seconds: a file system (or a copy) with coarse timestamps.
      fine: changed % 1_000_000_000n !== 0n,
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { stamp: code === "ENOENT" || code === "ENOTDIR" ? "-" : `e:${code}`, changedMs: 0, fine: true };
  }
}

/**
 * A file changed this recently may change again without its stamp changing (same clock tick, same
 * size, same inode): such a read is used once and not cached, as git does for racily clean index
 * entries. With nanosecond timestamps the tick is the kernel's coarse clock (at most 10 ms at HZ=100),
 * so a short window is safe — 25 ms is two and a half of the coarsest ticks; with whole-second
 * timestamps (FAT, some network file systems) it is not. The short window matters: a run's worktree
 * is milliseconds old when omk first runs git in it, and a longer window made the next call read the
 * config again (a git process more per run; a 2 s window made that every call of a short run).
 */
const FINE_RACY_MS = 25;
const COARSE_RACY_MS = 2000;
const MAX_ENTRIES = 512;

/** One read of a directory's config: the guard's environment and the entries it came from. */
interface Loaded {
  env: Readonly<Record<string, string>>;
  entries: readonly ConfigEntry[];
}

interface CacheEntry extends Loaded {
  watch: string[];
  stamps: Stamp[];
  /**
   * git reads this same config in every work tree of the repository: no includeIf in any scope (its
   * condition may hold for one work tree's git dir or branch and not another's; a plain include.path
   * names the same file from everywhere, and one in the repository's own config is never cached)
   * and the directory has no config.worktree. Then a work tree without a config.worktree of its own
   * gets this entry's environment without a read of its own.
   */
  shared: boolean;
}

/** Where a directory's git dirs are found (tests pass their own). */
export type DirsReader = (cwd: string) => GuardRead["dirs"];

/**
 * The per-directory part, cached: the read costs two git processes, the check a few lstat calls.
 * Keyed by the directory git runs in, since what git reads depends on it (its `.git` file, its
 * worktree's config.worktree, includeIf conditions). Valid while these are unchanged: the directory's
 * `.git`, the common `config`, the worktree's `config.worktree` and `commondir`. Never cached when the
 * repository's config includes other files (they can change, or start to apply, without any of
 * those changing), outside a repository, or when a watched file changed within the racy window of the read.
 * A work tree git reads the same config in as a cached one (CacheEntry.shared) costs no read at all:
 * a run's worktree and gate workspace are new directories of a repository omk has already read.
 */
export class ConfigGuard {
  private readonly cache = new Map<string, CacheEntry>();
  /** Common git dir → a cached directory whose entry is `shared`. */
  private readonly sharedBy = new Map<string, string>();
  private readonly pending = new Map<string, Promise<Loaded>>();
  /** Repository config reads so far (each costs two git processes). */
  reads = 0;

  private readonly read: GuardReader;
  private readonly dirsOf: DirsReader;
  private readonly fixed: readonly (readonly [string, string])[];
  private readonly racyMs: number | undefined;

  constructor(
    read: GuardReader,
    opts: { fixed?: readonly (readonly [string, string])[]; racyMs?: number; dirsOf?: DirsReader } = {},
  ) {
    this.read = read;
    this.dirsOf = opts.dirsOf ?? readGitDirs;
    this.fixed = opts.fixed ?? GUARD_CONFIG;
    this.racyMs = opts.racyMs;
  }

  /** The GIT_CONFIG_* environment for a git call in `cwd`: fixed settings, then driver overrides. */
  async envFor(cwd: string): Promise<Readonly<Record<string, string>>> {
    return (await this.loaded(cwd)).env;
  }

  /**
   * The config entries (GUARD_CONFIG_REGEX's keys, every scope) git reads in `cwd`, from the same
   * read as envFor: what else omk needs of them (the user's identity) costs no git process of its own.
   */
  async configFor(cwd: string): Promise<readonly ConfigEntry[]> {
    return (await this.loaded(cwd)).entries;
  }

  private loaded(cwd: string): Promise<Loaded> {
    const hit = this.valid(cwd) ?? this.derived(cwd);
    if (hit !== undefined) return Promise.resolve(hit);
    const inFlight = this.pending.get(cwd);
    if (inFlight !== undefined) return inFlight;
    const p = this.load(cwd).finally(() => this.pending.delete(cwd));
    this.pending.set(cwd, p);
    return p;
  }

  /**
   * Whether a work tree `git worktree add` makes from `cwd` would get `cwd`'s environment: its config
   * is `cwd`'s (see CacheEntry.shared), and git copies no config.worktree into it (there is none).
   * Then the add may check the new work tree out itself, under `cwd`'s guard.
   */
  async coversNewWorktrees(cwd: string): Promise<boolean> {
    await this.envFor(cwd);
    return this.valid(cwd)?.shared ?? false;
  }

  /** Forget everything (tests). */
  clear(): void {
    this.cache.clear();
    this.sharedBy.clear();
  }

  /** The cached entry of `cwd` while nothing it watches has changed. */
  private valid(cwd: string): CacheEntry | undefined {
    const hit = this.cache.get(cwd);
    if (hit === undefined) return undefined;
    if (hit.watch.every((p, i) => stampOf(p).stamp === hit.stamps[i])) return hit;
    this.cache.delete(cwd);
    return undefined;
  }

  /**
   * Another work tree of a repository whose config a shared entry holds: git reads the same config
   * there unless that work tree has a config.worktree. Checked on every call (a few lstat calls),
   * never cached: the work tree is often milliseconds old.
   */
  private derived(cwd: string): CacheEntry | undefined {
    const dirs = this.dirsOf(cwd);
    if (dirs === null) return undefined;
    const from = this.sharedBy.get(dirs.commonDir);
    const source = from === undefined ? undefined : this.valid(from);
    if (source === undefined || !source.shared) return undefined;
    return stampOf(join(dirs.gitDir, "config.worktree")).stamp === "-" ? source : undefined;
  }

  private async load(cwd: string): Promise<Loaded> {
    const started = Date.now();
    this.reads++;
    const r = await this.read(cwd);
    const entries = parseConfigDumpZ(r.config);
    const { overrides, untrustedIncludes } = driverOverrides(entries);
    const env = configEnv([...this.fixed, ...overrides]);
    if (r.dirs === null || untrustedIncludes) return { env, entries };
    const watch = [
      join(cwd, ".git"),
      join(r.dirs.commonDir, "config"),
      join(r.dirs.gitDir, "config.worktree"),
      join(r.dirs.gitDir, "commondir"),
    ];
    const stamps = watch.map(stampOf);
    const racyMs = this.racyMs ?? (stamps.every((s) => s.fine) ? FINE_RACY_MS : COARSE_RACY_MS);
    if (stamps.some((s) => s.changedMs >= started - racyMs)) return { env, entries };
    if (this.cache.size >= MAX_ENTRIES) this.clear();
    const shared = stamps[2]?.stamp === "-" && !entries.some((e) => /^includeif\./i.test(e.key));
    const entry = { watch, stamps: stamps.map((s) => s.stamp), env, entries, shared };
    this.cache.set(cwd, entry);
    if (shared) this.sharedBy.set(r.dirs.commonDir, cwd);
    return entry;
  }
}
