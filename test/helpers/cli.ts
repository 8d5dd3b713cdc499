import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const OMK_BIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;

export interface OmkResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

/** The `--json` document of `omk run` / `omk run resume`. */
export interface RunDoc {
  runId: string;
  status: string;
  reasons: string[];
  branch: string;
  worktree: string;
  baseCommit: string;
  headCommit: string | null;
  proofPath: string | null;
  attempts: number;
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
}

export interface OmkOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  input?: string;
  /** Called with the child once spawned (to send signals). */
  onSpawn?: (pid: number) => void;
  timeoutMs?: number;
}

/** Runs the BUILT CLI (`npm test` builds first), exactly as a user would. */
export function omk(args: readonly string[], opts: OmkOptions): Promise<OmkResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OMK_BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: "1", ...opts.env } as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    child.stdin.end(opts.input ?? "");
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`stdout is not one JSON document:\n${stdout}\n--- stderr ---\n${stderr}`);
          }
        },
      });
    });
  });
}

/** A private temp dir with isolated XDG state, removed by the returned cleanup. */
export function sandbox(prefix = "omk-test-"): {
  dir: string;
  env: Record<string, string>;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const env = {
    XDG_STATE_HOME: join(dir, "state"),
    XDG_CONFIG_HOME: join(dir, "config"),
    XDG_CACHE_HOME: join(dir, "cache"),
    // These tests hold omk to what it guarantees WITHOUT a sandbox (their agents keep files in this
    // temp dir, and several attacks must reach omk's state to be caught). Confinement is tested with
    // --sandbox required in sandbox*.test.ts, which override this.
    OMK_SANDBOX: "off",
    // Node ≥ 22.1 would keep compiled code in XDG_CACHE_HOME/omk: not omk's state, but these tests
    // count every file omk leaves in its dirs. compile-cache.test.ts turns it back on.
    NODE_DISABLE_COMPILE_CACHE: "1",
  };
  return { dir, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
