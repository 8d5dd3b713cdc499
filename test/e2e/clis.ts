import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The versions docs/agents.md was tested with; bump both together. */
export const PINNED = {
  "@anthropic-ai/claude-code": "2.1.332",
  "@openai/codex": "0.171.0",
  "@google/gemini-cli": "0.61.0",
  "opencode-ai": "1.18.33",
} as const;

export type Cli = "claude" | "codex" | "gemini" | "opencode";

/**
 * Outside the project and outside /tmp: codex refuses to set up its sandbox helper under a
 * temporary directory, so its home (kept next to the install) must live elsewhere.
 */
export function cacheDir(): string {
  const base = process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache");
  const key = Object.entries(PINNED)
    .map(([n, v]) => `${n.replace(/[@/]/g, "_")}-${v}`)
    .join("+");
  return join(base, "omk-e2e", key);
}

export function cliPath(name: Cli): string {
  return join(cacheDir(), "node_modules", ".bin", name);
}

export function installed(): boolean {
  return (["claude", "codex", "gemini", "opencode"] as const).every((c) => existsSync(cliPath(c)));
}

/** Whether `omk sandbox check` (the built CLI) says bubblewrap confinement works on this machine. */
export function sandboxWorks(): boolean {
  try {
    execFileSync(
      process.execPath,
      [new URL("../../dist/cli/main.js", import.meta.url).pathname, "sandbox", "check"],
      {
        stdio: "ignore",
      },
    );
    return true;
  } catch {
    return false;
  }
}
