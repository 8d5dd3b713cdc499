import { access } from "node:fs/promises";
import { join } from "node:path";

/**
 * A fresh worktree has no dependencies installed, so gates would fail for reasons that are not the
 * agent's. Propose the install command that matches the lockfile the project already has.
 */
const BY_LOCKFILE: readonly [string, string[]][] = [
  ["package-lock.json", ["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"]],
  ["npm-shrinkwrap.json", ["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"]],
  ["pnpm-lock.yaml", ["pnpm", "install", "--frozen-lockfile", "--prefer-offline"]],
  ["yarn.lock", ["yarn", "install", "--frozen-lockfile"]],
  ["bun.lockb", ["bun", "install", "--frozen-lockfile"]],
  ["uv.lock", ["uv", "sync", "--frozen"]],
  ["poetry.lock", ["poetry", "install", "--no-interaction"]],
  ["Cargo.lock", ["cargo", "fetch", "--locked"]],
  ["go.sum", ["go", "mod", "download"]],
];

export async function proposeWorkspaceSetup(root: string): Promise<string[][]> {
  for (const [file, argv] of BY_LOCKFILE) {
    try {
      await access(join(root, file));
      return [argv];
    } catch {
      // not this ecosystem
    }
  }
  return [];
}
