import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isOmkError, type OmkError } from "../core/errors.js";
import type { GateEvidence } from "../gates/evidence.js";
import { runGates } from "../gates/runner.js";
import type { GateSpec } from "../gates/schema.js";
import { filesAt } from "../git/export.js";
import type { ChangedFile } from "../git/parse.js";
import { diffWithPatch, writePatchBytes, writeTreePatch } from "../git/patch.js";
import { commitsSince, snapshotTree } from "../git/snapshot.js";
import type { Spawner } from "../proc/context.js";
import type { WorkspaceConfig } from "../project/config-schema.js";
import type { GateWorkspace, WorkspaceSpawners } from "../project/gate-workspace.js";
import { isSafeAgentPath } from "../security/paths.js";
import { jsonValueAt, protectionRules } from "../security/protected.js";
import { redactText } from "../security/redact.js";
import { type SecretFinding, scanFiles, UNSCANNABLE_RULE } from "../security/secret-scan.js";
import { SYMLINK_OUTSIDE_REASON } from "../security/symlinks.js";
import { ensurePrivateDir } from "../store/private-fs.js";

export interface Evaluation {
  /** The tree that was judged: the diff, policy, scan and gates all saw exactly this; null when the worktree could not be snapshotted. */
  tree: string | null;
  files: ChangedFile[];
  added: number;
  deleted: number;
  patch: { file: string; sha256: string; bytes: number } | null;
  violations: { path: string; reason: string }[];
  findings: SecretFinding[];
  /** Null when the gate workspace was ready; otherwise why its setup failed on this tree. */
  setupFailed: string | null;
  gates: GateEvidence[] | null; // null when not run (blocked, no change, or setup failed)
  interrupted: boolean;
}

export interface EvaluateHooks {
  onSnapshot?: (s: { tree: string; agentCommits: { commit: string; subject: string }[] }) => Promise<void>;
  onDiff?: (
    e: { tree: string } & Pick<Evaluation, "files" | "added" | "deleted" | "patch">,
  ) => Promise<void> | void;
  onViolation?: (v: { path: string; reason: string }) => Promise<void> | void;
  /** A protected path the person allowed for this run (`--allow-path`). */
  onAllowed?: (a: { path: string; glob: string }) => Promise<void> | void;
  onFinding?: (f: SecretFinding) => Promise<void> | void;
  onGateWorkspace?: (w: { dir: string; ok: boolean; detail: string; setupCached: boolean }) => Promise<void>;
  onGateStart?: (name: string) => void;
  onGateResult?: (g: GateEvidence) => void;
}

/**
 * After the agent's turn (its processes already stopped): snapshot the worktree into a tree with a
 * private index, then judge exactly that tree — diff → path policy → secret scan → gates, the last
 * two in a gate workspace checked out from the tree, never in the agent's worktree. A security
 * problem stops the evaluation before the gates run: the project's own test code must never execute
 * a change that writes to CI config or carries a key.
 */
export async function evaluateAttempt(opts: {
  worktree: string;
  base: string;
  attempt: number;
  /** omk's private index for snapshots (kept between attempts as a stat cache). */
  snapshotIndex: string;
  /** The worktree's snapshot when the caller has begun it already (a `snapshotTree` into snapshotIndex). */
  snapshot?: Promise<string> | undefined;
  artifactsDir: string;
  gates: readonly GateSpec[];
  /** gates.toml `protect` of the run's base, and the run's `--allow-path` globs. */
  protect: readonly string[];
  allowPaths: readonly string[];
  workspace: WorkspaceConfig;
  /** Being acquired while the worktree is snapshotted (a slot lock, maybe a first checkout). */
  gateWorkspace: Promise<GateWorkspace>;
  parentEnv: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal | undefined;
  proc?: Spawner | undefined;
  /**
   * Who runs `[workspace] setup` (it installs the agent's lockfile) and the gates in the gate
   * workspace `dir` (confined spawners); default `proc` for both.
   */
  spawners?: ((dir: string) => Promise<WorkspaceSpawners>) | undefined;
  hooks: EvaluateHooks;
}): Promise<Evaluation> {
  const { worktree, base, hooks } = opts;
  const tree = await (opts.snapshot ?? snapshotTree(worktree, base, opts.snapshotIndex)).catch(
    (err: unknown) => {
      if (isOmkError(err) && err.code === "GIT_FAILED") return unsnapshottable(err);
      throw err;
    },
  );
  if (typeof tree !== "string") {
    // Nothing can be judged, so nothing may land: a blocking finding, and the attempt ends like any
    // other blocked one (a resume finds it finished instead of failing on the same files again).
    await hooks.onFinding?.(tree);
    return {
      tree: null,
      files: [],
      added: 0,
      deleted: 0,
      patch: null,
      violations: [],
      findings: [tree],
      setupFailed: null,
      gates: null,
      interrupted: false,
    };
  }
  const gw = await opts.gateWorkspace;
  // Independent once the tree exists, so in parallel (each is a git process): the agent's own commits,
  // the diff, and the gate workspace checkout of the tree. The gate workspace then holds exactly the
  // tree: the checks read what is committed, not what the agent's worktree holds at this moment, and
  // nothing runs there before they pass.
  // The diff's git process makes the patch too (in memory), written below only once the scan found nothing.
  const diffP = diffWithPatch(worktree, base, tree);
  const patchP = diffP.then((d) => d.patch);
  const [agentCommits, { diff }] = await Promise.all([
    commitsSince(worktree, base, "HEAD"),
    diffP,
    gw.checkout(tree, opts.workspace),
  ]);
  await hooks.onSnapshot?.({ tree, agentCommits });
  const violations: Evaluation["violations"] = [];
  for (const f of diff.files) {
    for (const p of f.oldPath ? [f.path, f.oldPath] : [f.path]) {
      const v = isSafeAgentPath(p);
      if (!v.ok) violations.push({ path: p, reason: v.reason });
    }
  }
  const changed = diff.files.length > 0;
  const present = diff.files.filter((f) => f.status !== "D").map((f) => f.path);
  // One pass reads each changed file once: secret shapes in content (any size and encoding) and in
  // the path itself, whatever cannot be scanned (a finding, never a silent skip), and symlinks out.
  const [allowed, scan, patchBytes] = await Promise.all([
    checkProtected(opts, diff.files, gw.dir, violations),
    scanFiles(gw.dir, present),
    patchP,
  ]);
  for (const p of scan.symlinksOutside) violations.push({ path: p, reason: SYMLINK_OUTSIDE_REASON });
  let patch: Evaluation["patch"] = null;
  // A patch with a secret in it would persist the secret: keep patches only for clean changes.
  if (scan.findings.length === 0 && changed) {
    await ensurePrivateDir(opts.artifactsDir);
    const file = join(opts.artifactsDir, `attempt-${opts.attempt}.patch`);
    const written =
      patchBytes === null
        ? await writeTreePatch(worktree, base, tree, file)
        : await writePatchBytes(file, patchBytes);
    patch = { file, ...written };
  }
  await hooks.onDiff?.({ tree, files: diff.files, added: diff.added, deleted: diff.deleted, patch });
  for (const a of allowed) await hooks.onAllowed?.(a);
  for (const v of violations) await hooks.onViolation?.(v);
  for (const f of scan.findings) await hooks.onFinding?.(f);
  const judged: Evaluation = {
    ...diff,
    tree,
    patch,
    violations,
    findings: scan.findings,
    setupFailed: null,
    gates: null,
    interrupted: false,
  };
  if (violations.length > 0 || scan.findings.length > 0 || !changed) return judged;
  const spawners = await opts.spawners?.(gw.dir);
  const prepared = await gw.setup(opts.workspace, {
    parentEnv: opts.parentEnv,
    signal: opts.signal,
    proc: spawners?.setup ?? opts.proc,
  });
  await hooks.onGateWorkspace?.({ dir: gw.dir, ...prepared });
  if (!prepared.ok)
    return { ...judged, setupFailed: prepared.detail, interrupted: opts.signal?.aborted === true };
  const result = await runGates(opts.gates, {
    root: gw.dir,
    parentEnv: opts.parentEnv,
    signal: opts.signal,
    proc: spawners?.gates ?? opts.proc,
    ...(hooks.onGateStart ? { onGateStart: hooks.onGateStart } : {}),
    ...(hooks.onGateResult ? { onGateResult: hooks.onGateResult } : {}),
  });
  return { ...judged, gates: result.gates, interrupted: opts.signal?.aborted === true };
}

/**
 * git could not record the worktree as a tree (a nested repository without a commit, a file it cannot
 * read, …): a finding naming the path git named, with git's own words as the reason.
 */
function unsnapshottable(err: OmkError): SecretFinding {
  const stderr = String((err.details as { stderrTail?: unknown } | undefined)?.stderrTail ?? err.message);
  const path = /'([^'\n]+)'/.exec(stderr)?.[1] ?? ".";
  const why = stderr.split("\n").find((l) => l.trim() !== "") ?? "git could not record the files";
  return {
    path: redactText(path),
    line: 0,
    rule: UNSCANNABLE_RULE,
    preview: redactText(
      `omk cannot snapshot the worktree (${why.replace(/^(error|fatal): /, "")}); nothing of this attempt can be judged or land. A nested repository needs a commit (or remove its .git)`,
    ).slice(0, 400),
    where: "file",
  };
}

/**
 * Protected paths (omk's and the agent CLIs' config, what defines the gates): a change blocks unless
 * an `--allow-path` glob permits it. A `file#key` entry compares that JSON value before and after, so
 * an unrelated change elsewhere in package.json does not count. Returns what was allowed.
 */
async function checkProtected(
  opts: {
    root?: string;
    worktree: string;
    base: string;
    protect: readonly string[];
    allowPaths: readonly string[];
  },
  files: readonly ChangedFile[],
  newRoot: string,
  violations: { path: string; reason: string }[],
): Promise<{ path: string; glob: string }[]> {
  const rules = protectionRules(opts.protect, opts.allowPaths);
  const allowed: { path: string; glob: string }[] = [];
  const judge = (path: string, by: string) => {
    const allow = rules.allowedBy(path);
    if (allow !== null) allowed.push({ path, glob: allow });
    else
      violations.push({
        path,
        reason: `protected path (${by}): it decides how runs are judged; allow it for one run with --allow-path`,
      });
  };
  for (const f of files) {
    for (const p of f.oldPath ? [f.path, f.oldPath] : [f.path]) {
      const glob = rules.globFor(p);
      if (glob !== null) judge(p, glob);
    }
  }
  const touched = rules.keys.filter((k) => files.some((f) => f.path === k.file || f.oldPath === k.file));
  if (touched.length > 0) {
    const before = await filesAt(opts.worktree, opts.base, [...new Set(touched.map((k) => k.file))]);
    for (const k of touched) {
      const after = await readFile(join(newRoot, k.file), "utf8").catch(() => null);
      if (jsonValueAt(before.get(k.file) ?? null, k.keyPath) !== jsonValueAt(after, k.keyPath))
        judge(k.entry, k.entry);
    }
  }
  return allowed;
}
