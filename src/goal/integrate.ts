import { failingGates } from "../gates/evidence.js";
import { runGates } from "../gates/runner.js";
import { casBranch, commitMerge } from "../git/goal.js";
import { mergeTreeCheck } from "../git/merge.js";
import { branchCommit, isAncestor } from "../git/refs.js";
import { branchCommitFromFiles } from "../git/refs-files.js";
import { diffTrees, parentsOf, treeOf } from "../git/snapshot.js";
import { defaultSpawner } from "../proc/context.js";
import { killProcessesIn } from "../proc/orphans.js";
import { acquireGateWorkspace } from "../project/gate-workspace.js";
import type { Project } from "../project/open.js";
import { planGateSandbox, type RunSandbox, workspaceSpawners } from "../run/confinement.js";
import { setMatcher } from "./globs.js";
import type { GoalJournal } from "./journal.js";
import type { GoalState } from "./state.js";

/** The paths a diff's files touch: both sides of a rename or copy. */
export function touchedPaths(files: readonly { path: string; oldPath?: string | undefined }[]): string[] {
  return files.flatMap((f) => (f.oldPath ? [f.oldPath, f.path] : [f.path]));
}

/**
 * Paths the task's commit changed (both sides of a rename) that its write set does not cover.
 * `known`: those paths as the task's run recorded them for exactly this commit's tree on `base`.
 */
export async function outsideWriteSet(
  root: string,
  base: string,
  commit: string,
  writeSet: readonly string[],
  known: readonly string[] | null = null,
): Promise<string[]> {
  const allowed = setMatcher(writeSet);
  const touched = known ?? touchedPaths((await diffTrees(root, base, commit)).files);
  return [...new Set(touched.filter((p) => !allowed(p)))].sort();
}

export type IntegrationOutcome =
  | { kind: "merged"; head: string }
  | { kind: "conflict"; conflicts: string[] }
  | { kind: "moved"; found: string | null };

/**
 * Merge a finished task's commit into the integration branch, exactly once. The branch must be where
 * the ledger says omk left it (anything else moved it: the goal stops). A task built on the current
 * head fast-forwards; otherwise `git merge-tree` decides first, and only a clean merge becomes a
 * merge commit. Recorded before returning, so a crash between the ref move and the event is found by
 * `recoverIntegration` on resume.
 */
export async function integrateTask(
  journal: GoalJournal,
  root: string,
  taskId: string,
  runId: string,
  commit: string,
  retry: boolean,
  /** The head the task's run started from: its commit was made on it (or is it). */
  base: string | null = null,
): Promise<IntegrationOutcome> {
  const s = journal.state;
  const head = s.head;
  const found = await (branchCommitFromFiles(root, s.integrationBranch) ??
    branchCommit(root, s.integrationBranch));
  if (found !== head) return { kind: "moved", found };
  let next: string;
  let fastForward: boolean;
  // A run's commit descends from the head its run started from, and only from there: when the head
  // has moved on since (by omk's own merges, checked above), it cannot be an ancestor of the commit.
  const fastForwards = base !== null ? base === head : await isAncestor(root, head, commit);
  if (fastForwards) {
    next = commit;
    fastForward = true;
  } else {
    const check = await mergeTreeCheck(root, head, commit);
    if (!check.clean || check.tree === null) {
      await journal.append("IntegrationConflict", { taskId, runId, head, conflicts: check.conflicts, retry });
      return { kind: "conflict", conflicts: check.conflicts };
    }
    const task = s.tasks.get(taskId)?.task;
    next = await commitMerge(
      root,
      check.tree,
      [head, commit],
      `omk goal ${s.goalId}: integrate ${taskId}\n\n${task?.title ?? ""}\n\nOmk-Goal: ${s.goalId}\nOmk-Run: ${runId}\n`,
    );
    fastForward = false;
  }
  if (!(await casBranch(root, s.integrationBranch, next, head, `omk goal: integrate ${taskId}`))) {
    return { kind: "moved", found: await branchCommit(root, s.integrationBranch) };
  }
  await journal.append("IntegrationMerged", { taskId, runId, commit, prev: head, head: next, fastForward });
  return { kind: "merged", head: next };
}

/**
 * After a crash: a task whose commit is already on the integration branch, one step past the head the
 * ledger knows, was merged by the omk that died before it could record it. Record it, never merge
 * again. The ref is only believed when it is exactly what omk would have made — the task's commit
 * itself (a fast-forward), or a merge of exactly [head, commit] whose tree is the merge-tree result —
 * and the task's change stays inside its write set: anything else moved the ref, and the goal stops.
 */
export async function recoverIntegration(journal: GoalJournal, root: string): Promise<string[]> {
  const s = journal.state;
  const found = await branchCommit(root, s.integrationBranch);
  if (found === null || found === s.head) return [];
  for (const id of s.order) {
    const t = s.tasks.get(id)!;
    if (t.status !== "finished" || t.commit === null || t.base === null) continue;
    const fastForward = found === t.commit && (await isAncestor(root, s.head, found));
    if (!fastForward && !(await isOmkMerge(root, found, s.head, t.commit))) continue;
    if ((await outsideWriteSet(root, t.base, t.commit, t.task.writeSet)).length > 0) continue;
    await journal.append("IntegrationMerged", {
      taskId: id,
      runId: t.runIds.at(-1) ?? "",
      commit: t.commit,
      prev: s.head,
      head: found,
      fastForward,
      recovered: true,
    });
    return [id];
  }
  return [];
}

async function isOmkMerge(root: string, merge: string, head: string, commit: string): Promise<boolean> {
  const parents = await parentsOf(root, merge);
  if (parents.length !== 2 || parents[0] !== head || parents[1] !== commit) return false;
  const check = await mergeTreeCheck(root, head, commit);
  return check.clean && check.tree === (await treeOf(root, merge));
}

/**
 * The project's gates on exactly `commit`, in a gate workspace. The commit holds the tasks' code (and
 * their tests): setup and gates are confined by `sandbox` as a run's are.
 */
export async function gatesOn(
  project: Project,
  commit: string,
  signal: AbortSignal,
  sandbox: RunSandbox,
): Promise<{
  ok: boolean;
  failing: string[];
  gates: { name: string; status: string; exitCode: number | null }[];
}> {
  const gw = await acquireGateWorkspace(project);
  try {
    const spawners = await workspaceSpawners(sandbox, defaultSpawner, project.root, gw.dir);
    const setup = await gw.prepare(await treeOf(project.root, commit), project.config.workspace, {
      parentEnv: project.env,
      signal,
      proc: spawners.setup,
    });
    if (!setup.ok) return { ok: false, failing: [`workspace setup: ${setup.detail}`], gates: [] };
    const result = await runGates(project.gates.gates, {
      root: gw.dir,
      parentEnv: project.env,
      signal,
      proc: spawners.gates,
    });
    return {
      ok: result.ok,
      failing: failingGates(result.gates).map((g) => `${g.name} (${g.status})`),
      gates: result.gates.map((g) => ({ name: g.name, status: g.status, exitCode: g.exitCode })),
    };
  } finally {
    await killProcessesIn(gw.dir);
    await gw.release();
  }
}

/** How a goal's own gate runs (integration, accept) are confined: by the goal's `--sandbox`, as its lanes. */
export function goalGatesSandbox(s: GoalState, project: Project): Promise<RunSandbox> {
  return planGateSandbox(project, s.sandbox ?? undefined);
}

/**
 * The integration gates: the project's gates on the integration head, recorded in the goal's ledger
 * with how they were confined (the goal's `--sandbox`, as its lanes).
 */
export async function runIntegrationGates(
  journal: GoalJournal,
  project: Project,
  signal: AbortSignal,
): Promise<{ ok: boolean; failing: string[] }> {
  const s = journal.state;
  const sandbox = await goalGatesSandbox(s, project);
  const r = await gatesOn(project, s.head, signal, sandbox);
  await journal.append("IntegrationGates", {
    head: s.head,
    ok: r.ok,
    gates: r.gates,
    confinement: sandbox.bwrap === null ? "none" : "bwrap",
  });
  return r;
}
