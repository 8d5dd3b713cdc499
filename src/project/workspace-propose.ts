import { join } from "node:path";
import { pathExists } from "../core/fs.js";
import { isIgnoredUntracked } from "../git/repo.js";

interface Ecosystem {
  lockfile: string;
  /** Installs exactly what the committed lockfile pins. */
  locked: string[];
  /** Without a lockfile in the worktree (it is git-ignored): resolves and writes one. */
  unlocked: string[];
  cache: string[];
}

/**
 * A fresh worktree has no dependencies installed, so gates would fail for reasons that are not the
 * agent's. Propose the install command that matches the lockfile the project already has.
 */
const BY_LOCKFILE: readonly Ecosystem[] = [
  npm("package-lock.json"),
  npm("npm-shrinkwrap.json"),
  {
    lockfile: "pnpm-lock.yaml",
    locked: ["pnpm", "install", "--frozen-lockfile", "--prefer-offline"],
    unlocked: ["pnpm", "install", "--prefer-offline"],
    cache: ["node_modules"],
  },
  {
    lockfile: "yarn.lock",
    locked: ["yarn", "install", "--frozen-lockfile"],
    unlocked: ["yarn", "install"],
    cache: ["node_modules"],
  },
  {
    lockfile: "bun.lockb",
    locked: ["bun", "install", "--frozen-lockfile"],
    unlocked: ["bun", "install"],
    cache: ["node_modules"],
  },
  { lockfile: "uv.lock", locked: ["uv", "sync", "--frozen"], unlocked: ["uv", "sync"], cache: [".venv"] },
  {
    lockfile: "poetry.lock",
    locked: ["poetry", "install", "--no-interaction"],
    unlocked: ["poetry", "install", "--no-interaction"],
    cache: [".venv"],
  },
  {
    lockfile: "Cargo.lock",
    locked: ["cargo", "fetch", "--locked"],
    unlocked: ["cargo", "fetch"],
    cache: ["target"],
  },
  { lockfile: "go.sum", locked: ["go", "mod", "download"], unlocked: ["go", "mod", "download"], cache: [] },
];

function npm(lockfile: string): Ecosystem {
  const flags = ["--prefer-offline", "--no-audit", "--no-fund"];
  return {
    lockfile,
    locked: ["npm", "ci", ...flags],
    unlocked: ["npm", "install", ...flags],
    cache: ["node_modules"],
  };
}

/** The lockfiles omk knows: a change to any of them invalidates the dependency cache. */
export const LOCKFILES: readonly string[] = BY_LOCKFILE.map((e) => e.lockfile);

async function firstLockfile(root: string): Promise<Ecosystem | null> {
  for (const entry of BY_LOCKFILE) if (await pathExists(join(root, entry.lockfile))) return entry;
  return null;
}

export interface ProposedSetup {
  setup: string[][];
  /** Why the proposal is not the usual one, for `omk init` to say; null when it is. */
  note: string | null;
  /** The usual command, which would fail here (a frozen install without its lockfile). */
  unusable: string[] | null;
}

/**
 * The setup for the project's lockfile. A git-ignored lockfile never reaches a worktree, where
 * `npm ci` (or another frozen install) would refuse to run: propose the install that writes one.
 */
export async function proposeWorkspaceSetup(root: string): Promise<ProposedSetup> {
  const found = await firstLockfile(root);
  if (found === null) return { setup: [], note: null, unusable: null };
  if (!(await isIgnoredUntracked(root, found.lockfile)))
    return { setup: [found.locked], note: null, unusable: null };
  return {
    setup: [found.unlocked],
    unusable: found.locked === found.unlocked ? null : found.locked,
    note: `${found.lockfile} is git-ignored, so worktrees do not have it: setup is \`${found.unlocked.slice(0, 2).join(" ")}\`, not \`${found.locked.slice(0, 2).join(" ")}\``,
  };
}

/** Where the detected ecosystem installs dependencies: kept across gate workspace resets. */
export async function cacheDirsFor(root: string): Promise<string[]> {
  return (await firstLockfile(root))?.cache ?? [];
}
