import { existsSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, sep } from "node:path";
import { isInside } from "../security/paths.js";
import type { Spawner } from "./context.js";
import type { ProcResult } from "./types.js";

export const SANDBOX_MODES = ["auto", "required", "off"] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];
export const SANDBOX_NETWORKS = ["none", "host"] as const;
export type SandboxNetwork = (typeof SANDBOX_NETWORKS)[number];

/**
 * What one confined command may see and change, declaratively. The whole file system is visible
 * read-only; on top of it `/tmp` and `home.dir` are private and empty, `hidden` is not mounted at all
 * (an empty tmpfs over each), and only `writable` can be changed. Paths are absolute; the planner
 * (run/) decides them, this module only turns them into bwrap arguments.
 */
export interface SandboxProfile {
  network: SandboxNetwork;
  /** Bound read-write (the worktree, its git paths). Missing paths are skipped. */
  writable: readonly string[];
  /** Bound read-only over the private areas: what the command must see under /tmp or HOME. */
  readOnly: readonly string[];
  /** Never mounted: omk's state, config and cache. Missing paths are skipped. */
  hidden: readonly string[];
  /** A private HOME at `dir` holding only `keep` (the adapter's own files), or null for none. */
  home: { dir: string; keep: readonly { path: string; writable: boolean }[] } | null;
  /** Single files omk hands the command (a feedback file), bound read-only last, even inside `hidden`. */
  handed?: readonly string[] | undefined;
}

type Mount = { op: "--tmpfs" | "--ro-bind-try" | "--bind-try"; path: string };

/**
 * The bwrap arguments (no executable, no `--`) for running in `cwd` under `profile`. Mounts are
 * ordered by depth so that a deeper bind (the worktree) lands on top of a shallower one (the
 * private /tmp or HOME it lies in, the read-only repository around it); `hidden` goes last at its
 * depth, so nothing re-exposes omk's own directories.
 */
export function bwrapArgs(profile: SandboxProfile, cwd: string): string[] {
  const mounts: Mount[] = [{ op: "--tmpfs", path: "/tmp" }];
  if (profile.home !== null && !isRootish(profile.home.dir)) {
    mounts.push({ op: "--tmpfs", path: profile.home.dir });
    for (const k of profile.home.keep)
      mounts.push({ op: k.writable ? "--bind-try" : "--ro-bind-try", path: k.path });
  }
  for (const p of profile.readOnly) mounts.push({ op: "--ro-bind-try", path: p });
  for (const p of profile.writable) mounts.push({ op: "--bind-try", path: p });
  const ordered = mounts
    .filter((m) => isAbsolute(m.path))
    .map((m, i) => ({ m, i, depth: depth(m.path) }))
    .sort((a, b) => a.depth - b.depth || a.i - b.i)
    .map((x) => x.m);
  const hidden = [...new Set(profile.hidden)]
    .filter((p) => isAbsolute(p) && !isRootish(p))
    .sort((a, b) => depth(a) - depth(b));
  return [
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    ...ordered.flatMap((m) => (m.op === "--tmpfs" ? [m.op, m.path] : [m.op, m.path, m.path])),
    ...hidden.flatMap((p) => ["--tmpfs", p]),
    ...(profile.handed ?? []).filter(isAbsolute).flatMap((p) => ["--ro-bind-try", p, p]),
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    ...(profile.network === "none" ? ["--unshare-net"] : []),
    "--die-with-parent",
    "--new-session",
    // The parent's TMPDIR may name a directory the private /tmp does not have.
    "--setenv",
    "TMPDIR",
    "/tmp",
    "--unsetenv",
    "TMP",
    "--unsetenv",
    "TEMP",
    "--chdir",
    cwd,
  ];
}

function depth(p: string): number {
  return p.split(sep).filter(Boolean).length;
}

function isRootish(p: string): boolean {
  return p === "" || p === "/" || p === sep;
}

/**
 * The PATH entries a confined command would lose to the private /tmp or HOME (node from nvm, tools
 * in ~/.cargo/bin, npx's node under ~/.npm): bound read-only so the same commands resolve inside.
 * A `bin` or `.bin` directory brings its install prefix along (its executables are often symlinks
 * into it), unless that prefix is a top-level directory of HOME such as `~/.local`.
 */
export function pathExposures(pathEnv: string | undefined, privateRoots: readonly string[]): string[] {
  const out = new Set<string>();
  for (const entry of (pathEnv ?? "").split(":")) {
    if (entry === "" || !isAbsolute(entry)) continue;
    const root = privateRoots.find((r) => !isRootish(r) && isInside(r, entry));
    if (root === undefined || entry === root) continue;
    const parent = dirname(entry);
    const base = entry.slice(parent.length + 1);
    const prefixOk = (base === "bin" || base === ".bin") && depth(parent) - depth(root) >= 2;
    out.add(prefixOk ? parent : entry);
  }
  return [...out];
}

/** Absolute real paths of those that exist (bwrap mounts what the kernel resolves). */
export function existingReal(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!isAbsolute(p) || !existsSync(p)) continue;
    try {
      out.push(realpathSync(p));
    } catch {
      // vanished meanwhile
    }
  }
  return [...new Set(out)];
}

/** bwrap reports its own failures (a mount, an exec) as one `bwrap: …` line on stderr, exit 1. */
const BWRAP_FAILURE = /^bwrap: [^\n]*\n?$/;

/**
 * A Spawner whose every child runs inside bwrap with `profile`. The child's own argv is what the
 * result reports (gate evidence records the gate's argv, not the sandbox's); an executable named by
 * absolute path is bound read-only so it can run from a private area; a failure of bwrap itself is
 * reported as a failure to start.
 */
export function confinedSpawner(
  base: Spawner,
  bwrap: string,
  profileNow: SandboxProfile | (() => SandboxProfile),
): Spawner {
  const wrap = (argv: readonly string[], cwd: string): string[] => {
    const profile = typeof profileNow === "function" ? profileNow() : profileNow;
    const exe = argv[0] ?? "";
    const exposed = isAbsolute(exe) ? existingReal([exe]).concat(existsSync(exe) ? [exe] : []) : [];
    const p: SandboxProfile = { ...profile, readOnly: [...new Set([...profile.readOnly, ...exposed])] };
    return [bwrap, ...bwrapArgs(p, cwd), "--", ...argv];
  };
  return {
    async run(argv, options): Promise<ProcResult> {
      const res = await base.run(wrap(argv, options.cwd), options);
      const failure =
        res.failedToStart === null && res.exitCode === 1 && res.stdoutBytes === 0
          ? BWRAP_FAILURE.exec(res.stderr)
          : null;
      return {
        ...res,
        argv: [...argv],
        failedToStart: res.failedToStart ?? (failure ? `sandbox: ${failure[0].trim()}` : null),
      };
    },
    spawn: (argv, options) => base.spawn(wrap(argv, options.cwd), options),
  };
}
