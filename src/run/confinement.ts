import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join } from "node:path";
import type { AgentSandboxNeeds } from "../agents/types.js";
import { OmkError } from "../core/errors.js";
import { gitCommonDir } from "../git/repo.js";
import type { RunEventInput } from "../journal/events.js";
import type { Confinement } from "../journal/state.js";
import type { Spawner } from "../proc/context.js";
import {
  confinedSpawner,
  existingReal,
  pathExposures,
  type SandboxMode,
  type SandboxNetwork,
  type SandboxProfile,
} from "../proc/sandbox.js";
import { probeSandbox } from "../proc/sandbox-probe.js";
import type { ProjectConfig } from "../project/config-schema.js";
import type { WorkspaceSpawners } from "../project/gate-workspace.js";
import type { Project } from "../project/open.js";
import type { OmkDirs } from "../store/paths.js";

type Env = Readonly<Record<string, string | undefined>>;

/** How a run is confined: decided once per drive (start or resume), before any worktree or ledger. */
export interface RunSandbox {
  requested: SandboxMode;
  /** The bwrap executable, or null when the run is unconfined (then `reason` says why). */
  bwrap: string | null;
  reason: string | undefined;
  agentNetwork: SandboxNetwork;
  gatesNetwork: SandboxNetwork;
  /** The user's HOME (real path), made private inside; null when there is none to hide. */
  home: string | null;
  agentHome: AgentSandboxNeeds["home"];
  /** omk's state, config and cache dirs: never mounted. */
  hidden: string[];
  /** PATH directories under the private areas, bound read-only so commands resolve inside. */
  pathDirs: string[];
}

/**
 * `--sandbox`/`--network` (or, on resume, what the run recorded), then `.omk/config.toml`, then the
 * adapter's declaration. `required` without a working bwrap is refused here, before any work; `auto`
 * proceeds unconfined with the reason.
 */
export async function planSandbox(o: {
  mode?: SandboxMode | undefined;
  network?: SandboxNetwork | undefined;
  prior?: Confinement | null | undefined;
  config: ProjectConfig;
  needs: AgentSandboxNeeds;
  env: Env;
  dirs: OmkDirs;
}): Promise<RunSandbox> {
  const requested = o.mode ?? o.prior?.requested ?? o.config.sandbox.mode;
  const agentNetwork = o.network ?? o.prior?.network ?? o.config.sandbox.network ?? o.needs.network;
  const home = existingReal(o.env["HOME"] ? [o.env["HOME"]] : [])[0] ?? null;
  const plan: RunSandbox = {
    requested,
    bwrap: null,
    reason: undefined,
    agentNetwork,
    gatesNetwork: o.config.gates.network,
    home,
    agentHome: o.needs.home,
    hidden: existingReal([o.dirs.state, o.dirs.config, o.dirs.cache]),
    pathDirs: existingReal(pathExposures(o.env["PATH"], ["/tmp", ...(home ? [home] : [])])),
  };
  if (requested === "off") return { ...plan, reason: "--sandbox off" };
  const probe = await probeSandbox(o.env);
  if (probe.available) return { ...plan, bwrap: probe.bwrap };
  if (requested === "required") {
    throw new OmkError("SANDBOX_UNAVAILABLE", `--sandbox required, but ${probe.reason}`, {
      hint: `${probe.hint}; \`omk sandbox check\` says whether confinement works here`,
      details: { bwrap: probe.bwrap },
    });
  }
  return { ...plan, reason: probe.reason };
}

/** The Confinement event of an agent turn. */
export function confinementEvent(sb: RunSandbox, attempt: number): RunEventInput<"Confinement"> {
  return {
    attempt,
    mode: sb.bwrap === null ? "none" : "bwrap",
    requested: sb.requested,
    network: sb.agentNetwork,
    ...(sb.reason === undefined ? {} : { reason: sb.reason }),
  };
}

/**
 * The agent's spawner: the worktree and exactly the git paths a linked worktree's status, add and
 * commit write (its own git dir, the object store, the run branches' loose refs and reflogs) are
 * writable; the rest of the repository is read-only; HOME holds only what the adapter declared.
 * `handed()` names the files omk gives the current turn (its feedback file).
 */
export async function agentSpawner(
  sb: RunSandbox,
  base: Spawner,
  at: { root: string; worktree: string; branch: string },
  handed: () => readonly string[],
): Promise<Spawner> {
  if (sb.bwrap === null) return base;
  const git = await gitPaths(at.root, at.worktree);
  const branchDir = dirname(at.branch);
  const writable = [
    at.worktree,
    ...(git.worktreeDir ? [git.worktreeDir] : []),
    join(git.common, "objects"),
    ...(branchDir === "." ? [] : [join(git.common, "refs", "heads", branchDir)]),
    ...(branchDir === "." ? [] : [join(git.common, "logs", "refs", "heads", branchDir)]),
  ];
  const profile: SandboxProfile = {
    network: sb.agentNetwork,
    writable: existingReal(writable),
    readOnly: existingReal([at.root, git.common, ...sb.pathDirs]),
    hidden: sb.hidden,
    home:
      sb.home === null
        ? null
        : { dir: sb.home, keep: sb.agentHome.map((k) => ({ ...k, path: join(sb.home!, k.path) })) },
  };
  return confinedSpawner(base, sb.bwrap, () => ({ ...profile, handed: existingReal(handed()) }));
}

/**
 * What of HOME `[workspace] setup` keeps: package managers' download caches (writable, so an install
 * reuses them) and their configuration (read-only: a private registry and its auth). Nothing else of
 * HOME is there: no shell profile to append to, no SSH keys, no other tool's credentials.
 */
const SETUP_HOME: readonly { path: string; writable: boolean }[] = [
  ...[
    ".npm",
    ".cache/yarn",
    ".yarn/berry/cache",
    ".cache/pnpm",
    ".local/share/pnpm",
    ".pnpm-store",
    ".bun/install/cache",
    ".cache/pip",
    ".cache/uv",
    ".cargo/registry",
    ".cargo/git",
    "go/pkg/mod",
    ".m2/repository",
    ".gradle/caches",
    ".gradle/wrapper",
    ".cache/node-gyp",
  ].map((path) => ({ path, writable: true })),
  ...[".npmrc", ".yarnrc", ".yarnrc.yml", ".config/pip", ".pip", ".config/uv", ".cargo/config.toml"].map(
    (path) => ({ path, writable: false }),
  ),
];

/**
 * Who runs `[workspace] setup` and the gates in `dir` (a gate workspace, or a worktree whose setup runs
 * on a tree an agent wrote), from one look-up of its git paths. Both have `dir` and its own git dir
 * writable and the repository read-only. The gates get `[gates] network` and nothing of HOME. Setup
 * installs the agent's lockfile and manifest, so its install scripts are the agent's code; it gets
 * what an install needs besides: the host's network (registries), and the package managers' caches
 * and config in HOME.
 */
export async function workspaceSpawners(
  sb: RunSandbox,
  base: Spawner,
  root: string,
  dir: string,
): Promise<WorkspaceSpawners> {
  const bwrap = sb.bwrap;
  if (bwrap === null) return { setup: base, gates: base };
  const git = await gitPaths(root, dir);
  const writable = existingReal([dir, ...(git.worktreeDir ? [git.worktreeDir] : [])]);
  const readOnly = existingReal([root, git.common, ...sb.pathDirs]);
  const confined = (network: SandboxNetwork, keep: readonly { path: string; writable: boolean }[]) =>
    confinedSpawner(base, bwrap, {
      network,
      writable,
      readOnly,
      hidden: sb.hidden,
      home:
        sb.home === null
          ? null
          : { dir: sb.home, keep: keep.map((k) => ({ ...k, path: join(sb.home!, k.path) })) },
    });
  return { setup: confined("host", SETUP_HOME), gates: confined(sb.gatesNetwork, []) };
}

/**
 * The sandbox of gates omk runs outside a run — `land`'s and `proof verify`'s re-gates, a goal's
 * integration and accept gates — by `mode` (the caller's `--sandbox` or OMK_SANDBOX; unset: the
 * config), with a run's gate profile, since they run a run's code.
 */
export function planGateSandbox(
  project: Pick<Project, "config" | "env" | "dirs">,
  mode: SandboxMode | undefined,
): Promise<RunSandbox> {
  return planSandbox({
    mode,
    config: project.config,
    needs: { network: project.config.gates.network, home: [] },
    env: project.env,
    dirs: project.dirs,
  });
}

/**
 * The common git dir (from the main checkout, which the agent cannot write) and the linked
 * worktree's own git dir: the entry of `<common>/worktrees/` whose `gitdir` names this worktree.
 * The worktree's `.git` file is the agent's to rewrite, so it is never what decides.
 */
async function gitPaths(
  root: string,
  worktree: string,
): Promise<{ common: string; worktreeDir: string | null }> {
  const common = existingReal([await gitCommonDir(root)])[0] ?? join(root, ".git");
  const want = existingReal([worktree])[0] ?? worktree;
  const base = join(common, "worktrees");
  const names = (name: string) => readGitdirOf(join(base, name)).then((at) => at === want);
  // git names the entry after the worktree's directory (a number appended when that is taken): try
  // that one first, since a project keeps every run's worktree until cleanup and each entry is a read.
  const guess = basename(want);
  if (await names(guess)) return { common, worktreeDir: join(base, guess) };
  for (const name of await readdir(base).catch(() => [] as string[])) {
    if (name !== guess && (await names(name))) return { common, worktreeDir: join(base, name) };
  }
  return { common, worktreeDir: null };
}

/** The real path of the work tree a `<common>/worktrees/<name>` entry's `gitdir` names, or null. */
async function readGitdirOf(entry: string): Promise<string | null> {
  const named = (await readFile(join(entry, "gitdir"), "utf8").catch(() => "")).trim();
  if (!isAbsolute(named)) return null;
  return existingReal([dirname(named)])[0] ?? null;
}
