import { copyFile, lstat, mkdir, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { OmkError } from "../core/errors.js";
import { isIgnored } from "../git/repo.js";
import { addWorktree } from "../git/worktree.js";
import { defaultSpawner, type Spawner } from "../proc/context.js";
import { quoteArgv } from "../proc/quote.js";
import { isSafeAgentPath } from "../security/paths.js";
import { scanFiles } from "../security/secret-scan.js";
import type { WorkspaceConfig } from "./config-schema.js";
import { setupFailureDetail } from "./workspace-errors.js";

export interface SetupStep {
  kind: "copy" | "link" | "setup";
  what: string;
  ok: boolean;
  detail: string;
  durationMs?: number;
  exitCode?: number | null;
}

/** Create the run's worktree, or re-attach it after `cleanup` removed it but the branch survived. */
export async function ensureWorktree(
  root: string,
  worktree: string,
  branch: string,
  base: string,
): Promise<"created" | "existing" | "reattached"> {
  if ((await lstat(worktree).catch(() => null)) !== null) return "existing";
  await mkdir(dirname(worktree), { recursive: true });
  return addWorktree(root, worktree, branch, base, { ifBranchExists: "attach" });
}

/**
 * `[workspace]`: copy and link git-ignored files from the main checkout, then run the setup argv
 * commands. A failing step is infrastructure, not the agent's fault; each step is reported.
 */
export async function prepareWorkspace(
  root: string,
  worktree: string,
  ws: WorkspaceConfig,
  opts: {
    parentEnv: Readonly<Record<string, string | undefined>>;
    signal?: AbortSignal | undefined;
    onStep: (s: SetupStep) => void;
    /** Who starts the setup commands (a run's own process context). */
    proc?: Spawner | undefined;
  },
): Promise<{ ok: boolean; detail: string }> {
  const proc = opts.proc ?? defaultSpawner;
  for (const [kind, list] of [
    ["copy", ws.copy],
    ["link", ws.link],
  ] as const) {
    for (const rel of list) {
      const verdict = isSafeAgentPath(rel);
      if (!verdict.ok) return fail(opts, kind, rel, `unsafe path: ${verdict.reason}`);
      if ((await lstat(join(root, rel)).catch(() => null)) === null) {
        return fail(opts, kind, rel, `${rel} does not exist in ${root}`);
      }
      // Only git-ignored paths: anything else would show up in the agent's diff as its own change.
      if (!(await isIgnored(worktree, rel))) {
        return fail(
          opts,
          kind,
          rel,
          `${rel} is not git-ignored; add it to .gitignore before copying or linking it`,
        );
      }
      if (kind === "copy") {
        const scan = await scanFiles(root, [rel]);
        if (scan.findings.length > 0 && !ws.allow_secrets) {
          return fail(
            opts,
            kind,
            rel,
            `${rel} contains what looks like a secret (${scan.findings[0]!.rule}); set allow_secrets = true in [workspace] to copy it anyway`,
          );
        }
        await mkdir(dirname(join(worktree, rel)), { recursive: true });
        await copyFile(join(root, rel), join(worktree, rel));
      } else {
        await mkdir(dirname(join(worktree, rel)), { recursive: true });
        if ((await lstat(join(worktree, rel)).catch(() => null)) === null)
          await symlink(join(root, rel), join(worktree, rel));
      }
      opts.onStep({ kind, what: rel, ok: true, detail: kind === "copy" ? "copied" : "linked" });
    }
  }
  for (const argv of ws.setup) {
    const r = await proc.run(argv, {
      cwd: worktree,
      parentEnv: opts.parentEnv,
      timeoutMs: ws.setup_timeout_secs * 1000,
      signal: opts.signal,
    });
    const ok = r.exitCode === 0 && !r.timedOut && !r.isCanceled && r.failedToStart === null;
    const detail = ok
      ? "ok"
      : (r.failedToStart ??
        (r.timedOut
          ? `timed out after ${ws.setup_timeout_secs}s`
          : r.isCanceled
            ? "interrupted"
            : `exit ${r.exitCode}: ${setupFailureDetail(r.stderr, r.stdout)}`));
    opts.onStep({
      kind: "setup",
      what: quoteArgv(argv),
      ok,
      detail,
      durationMs: Math.round(r.durationMs),
      exitCode: r.exitCode,
    });
    if (r.isCanceled) throw new OmkError("INTERRUPTED", "interrupted during workspace setup");
    if (!ok) return { ok: false, detail: `${quoteArgv(argv)}: ${detail}` };
  }
  return { ok: true, detail: "ok" };
}

function fail(opts: { onStep: (s: SetupStep) => void }, kind: "copy" | "link", what: string, detail: string) {
  opts.onStep({ kind, what, ok: false, detail });
  return { ok: false, detail };
}
