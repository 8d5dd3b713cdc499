import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pidIsAlive } from "../../../src/proc/process-group.js";

export const FIXTURES_DIR = fileURLToPath(new URL("../../fixtures/proc/", import.meta.url));

/** argv that runs a fixture script with this very node binary. */
export function fixture(name: string, ...args: string[]): string[] {
  return [process.execPath, join(FIXTURES_DIR, name), ...args];
}

/** A small, realistic parent env: no secrets unless a test adds them. */
export function parentEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: process.env["HOME"] ?? "/tmp",
    LANG: "C.UTF-8",
    ...extra,
  };
}

/** The pid the spawn-grandchild fixture announced on its first line. */
export function grandchildPid(text: string): number {
  const match = /GRANDCHILD (\d+)/.exec(text);
  if (match === null) throw new Error(`no GRANDCHILD line in ${JSON.stringify(text)}`);
  return Number(match[1]);
}

/**
 * Polls until `pid` cannot run any more. Reaping an orphan is init's job and may lag (or, in
 * some containers, never happen), so a zombie counts as dead: it can no longer do anything.
 */
export async function waitUntilDead(pid: number, timeoutMs = 3_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pidIsAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !pidIsAlive(pid);
}

export async function withTempDir<T>(prefix: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `omk-${prefix}-`));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Best-effort SIGKILL so a failing test does not leak a sleeper. */
export function killQuietly(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}
