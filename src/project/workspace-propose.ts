import { join } from "node:path";
import { pathExists } from "../core/fs.js";

/**
 * A fresh worktree has no dependencies installed, so gates would fail for reasons that are not the
 * agent's. Propose the install command that matches the lockfile the project already has.
 */
const BY_LOCKFILE: readonly [file: string, setup: string[], cache: string[]][] = [
  ["package-lock.json", ["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"], ["node_modules"]],
  ["npm-shrinkwrap.json", ["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"], ["node_modules"]],
  ["pnpm-lock.yaml", ["pnpm", "install", "--frozen-lockfile", "--prefer-offline"], ["node_modules"]],
  ["yarn.lock", ["yarn", "install", "--frozen-lockfile"], ["node_modules"]],
  ["bun.lockb", ["bun", "install", "--frozen-lockfile"], ["node_modules"]],
  ["uv.lock", ["uv", "sync", "--frozen"], [".venv"]],
  ["poetry.lock", ["poetry", "install", "--no-interaction"], [".venv"]],
  ["Cargo.lock", ["cargo", "fetch", "--locked"], ["target"]],
  ["go.sum", ["go", "mod", "download"], []],
];

/** The lockfiles omk knows: a change to any of them invalidates the dependency cache. */
export const LOCKFILES: readonly string[] = BY_LOCKFILE.map(([file]) => file);

async function firstLockfile(root: string): Promise<(typeof BY_LOCKFILE)[number] | null> {
  for (const entry of BY_LOCKFILE) if (await pathExists(join(root, entry[0]))) return entry;
  return null;
}

export async function proposeWorkspaceSetup(root: string): Promise<string[][]> {
  const found = await firstLockfile(root);
  return found ? [found[1]] : [];
}

/** Where the detected ecosystem installs dependencies: kept across gate workspace resets. */
export async function cacheDirsFor(root: string): Promise<string[]> {
  return (await firstLockfile(root))?.[2] ?? [];
}
