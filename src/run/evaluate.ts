import { chmod } from "node:fs/promises";
import { join } from "node:path";
import type { GateEvidence } from "../gates/runner.js";
import { runGates } from "../gates/runner.js";
import type { GateSpec } from "../gates/schema.js";
import { stageAndDiff } from "../git/diff.js";
import type { ChangedFile } from "../git/parse.js";
import { writePatch } from "../git/patch.js";
import type { Spawner } from "../proc/context.js";
import { isSafeAgentPath } from "../security/paths.js";
import { type SecretFinding, scanFiles } from "../security/secret-scan.js";
import { SYMLINK_OUTSIDE_REASON, symlinkLeavesRoot } from "../security/symlinks.js";
import { ensurePrivateDir, PRIVATE_FILE_MODE } from "../store/private-fs.js";

export interface Evaluation {
  files: ChangedFile[];
  added: number;
  deleted: number;
  patch: { file: string; sha256: string; bytes: number } | null;
  violations: { path: string; reason: string }[];
  findings: SecretFinding[];
  skipped: { path: string; reason: string }[];
  gates: GateEvidence[] | null; // null when not run (blocked before gates)
  interrupted: boolean;
}

export interface EvaluateHooks {
  onDiff?: (e: Pick<Evaluation, "files" | "added" | "deleted" | "patch">) => Promise<void> | void;
  onViolation?: (v: { path: string; reason: string }) => Promise<void> | void;
  onFinding?: (f: SecretFinding) => Promise<void> | void;
  onGateStart?: (name: string) => void;
  onGateResult?: (g: GateEvidence) => void;
}

/**
 * After the agent's turn: diff → path policy → secret scan → gates. A security problem stops the
 * evaluation before the gates run: the project's own test code must never execute a change that
 * writes to CI config or carries a key.
 */
export async function evaluateAttempt(opts: {
  worktree: string;
  base: string;
  attempt: number;
  artifactsDir: string;
  gates: readonly GateSpec[];
  parentEnv: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal | undefined;
  proc?: Spawner | undefined;
  hooks: EvaluateHooks;
}): Promise<Evaluation> {
  const { worktree, base, hooks } = opts;
  const diff = await stageAndDiff(worktree, base);
  const violations: Evaluation["violations"] = [];
  for (const f of diff.files) {
    for (const p of f.oldPath ? [f.path, f.oldPath] : [f.path]) {
      const v = isSafeAgentPath(p);
      if (!v.ok) violations.push({ path: p, reason: v.reason });
    }
  }
  const present = diff.files.filter((f) => f.status !== "D").map((f) => f.path);
  for (const p of present) {
    if (await symlinkLeavesRoot(worktree, p)) violations.push({ path: p, reason: SYMLINK_OUTSIDE_REASON });
  }
  const scan = await scanFiles(worktree, present);
  let patch: Evaluation["patch"] = null;
  // A patch with a secret in it would persist the secret: keep patches only for clean changes.
  if (scan.findings.length === 0 && diff.files.length > 0) {
    await ensurePrivateDir(opts.artifactsDir);
    const file = join(opts.artifactsDir, `attempt-${opts.attempt}.patch`);
    const w = await writePatch(worktree, base, file);
    await chmod(file, PRIVATE_FILE_MODE);
    patch = { file, sha256: w.sha256, bytes: w.bytes };
  }
  await hooks.onDiff?.({ files: diff.files, added: diff.added, deleted: diff.deleted, patch });
  for (const v of violations) await hooks.onViolation?.(v);
  for (const f of scan.findings) await hooks.onFinding?.(f);
  const base_: Evaluation = {
    ...diff,
    patch,
    violations,
    findings: scan.findings,
    skipped: scan.skipped,
    gates: null,
    interrupted: false,
  };
  if (violations.length > 0 || scan.findings.length > 0 || diff.files.length === 0) return base_;
  const result = await runGates(opts.gates, {
    root: worktree,
    parentEnv: opts.parentEnv,
    signal: opts.signal,
    proc: opts.proc,
    ...(hooks.onGateStart ? { onGateStart: hooks.onGateStart } : {}),
    ...(hooks.onGateResult ? { onGateResult: hooks.onGateResult } : {}),
  });
  return { ...base_, gates: result.gates, interrupted: opts.signal?.aborted === true };
}
