import { OmkError } from "../core/errors.js";
import { failingGates } from "../gates/evidence.js";
import { runGates } from "../gates/runner.js";
import { fastForwardTo, mergeInto, mergeTreeCheck } from "../git/merge.js";
import { branchCommit, currentBranch, headCommit, isAncestor } from "../git/refs.js";
import { isDirty } from "../git/repo.js";
import { treeOf } from "../git/snapshot.js";
import { finishedRunProblems } from "../journal/integrity.js";
import { journalProblem, RunJournal, readRunJournal } from "../journal/run-journal.js";
import { defaultSpawner } from "../proc/context.js";
import { killProcessesIn } from "../proc/orphans.js";
import type { SandboxMode } from "../proc/sandbox.js";
import { acquireGateWorkspace } from "../project/gate-workspace.js";
import type { RunLocation } from "../project/locate.js";
import type { Project } from "../project/open.js";
import { withThrowawayWorktree } from "../project/throwaway.js";
import { planGateSandbox, workspaceSpawners } from "./confinement.js";
import { receiptTrust } from "./land-receipt.js";
import { acceptOutsideCommand, moreAttemptsCommand } from "./reopen.js";

export interface LandResult {
  runId: string;
  commit: string;
  fastForward: boolean;
  regated: boolean;
  /** What the land rested on (also recorded in Landed). */
  trust: "regate" | "receipt" | "no-regate";
  /** trust "receipt": the signing key; trust "regate": why the receipt was not enough. */
  receipt: { keyid?: string; refused?: string } | null;
  branch: string | null;
}

/**
 * Land a ready run onto the branch it started from. Fast-forward when the base has not moved;
 * otherwise (with `merge`) check the merge with `git merge-tree`, build the merge commit in a
 * throwaway worktree, re-run the gates on it, and only then fast-forward the user's branch to
 * exactly the commit that was tested.
 */
export async function landRun(o: {
  project: Project;
  loc: RunLocation;
  mode: "ff-only" | "merge";
  /** Skip re-running the gates on the exact commit before a fast-forward (recorded in Landed). */
  noRegate?: boolean | undefined;
  /** `--no-receipt`: re-run the gates even when a signed receipt of a confined run would do. */
  ignoreReceipt?: boolean | undefined;
  /** How the re-run gates are confined (default: `[sandbox] mode`, else auto). */
  sandbox?: SandboxMode | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((line: string) => void) | undefined;
}): Promise<LandResult> {
  const root = o.project.root;
  const read = await readRunJournal(o.loc.dir);
  const problem = journalProblem(read) ?? (await finishedRunProblems(o.loc.dir, read))[0] ?? null;
  if (problem !== null || read.state === null)
    refuse(
      `run ${o.loc.runId}: ${problem ?? "unreadable ledger"}`,
      "run `omk proof verify` to see what was changed",
    );
  const s = read.state;
  if (s.landed) refuse(`run ${s.runId} already landed as ${s.landed.commit.slice(0, 12)}`, "nothing to do");
  if (!s.finished) refuse(`run ${s.runId} has not finished`, `resume it with \`omk run resume ${s.runId}\``);
  if (s.finished.status !== "ready") {
    const more = s.finished.status === "not_ready" ? moreAttemptsCommand(s) : null;
    const accept = acceptOutsideCommand(s);
    refuse(
      `run ${s.runId} is ${s.finished.status}: ${s.finished.reasons.join("; ")}`,
      more !== null
        ? `only ready runs land; give it more attempts with \`${more}\`, or start a new run`
        : accept !== null
          ? `only ready runs land; if you made those changes yourself (a git fetch, a commit or an edit in your checkout), check them and run \`${accept}\``
          : `only ready runs land; start a new run (omk run show ${s.runId} says what went wrong)`,
    );
  }
  const runHead = s.finished.headCommit;
  if (!runHead) refuse(`run ${s.runId} recorded no commit`, "start a new run");
  const branchHead = (await branchCommit(root, s.branch)) ?? "";
  if (branchHead !== runHead) {
    refuse(
      `branch ${s.branch} is at ${branchHead.slice(0, 12) || "(missing)"} but the run recorded ${runHead.slice(0, 12)}`,
      "the run branch was changed after the run; land only what was verified",
    );
  }
  const here = await currentBranch(root);
  if (s.baseBranch && here !== s.baseBranch) {
    refuse(
      `the run started from ${s.baseBranch} but ${here ?? "a detached HEAD"} is checked out`,
      `git switch ${s.baseBranch}, then land again`,
    );
  }
  const dirty = await isDirty(root, { ignore: [".omk/"] });
  if (dirty.dirty) refuse("the working tree has uncommitted changes", "commit or stash them before landing");
  const head = await headCommit(root);

  let target = runHead;
  let fastForward = true;
  let regated = false;
  let receipt: LandResult["receipt"] = null;
  if (!(await isAncestor(root, head, runHead))) {
    if (o.mode === "ff-only") {
      refuse(
        `${here ?? "HEAD"} moved since the run started (${s.base.slice(0, 12)} → ${head.slice(0, 12)}): cannot fast-forward`,
        "land with --merge (the gates re-run on the merge result), or start a new run from the new base",
      );
    }
    const check = await mergeTreeCheck(root, head, runHead);
    if (!check.clean) {
      refuse(
        `merging ${s.branch} into ${here ?? "HEAD"} conflicts in: ${check.conflicts.join(", ")}`,
        "start a new run from the current base",
      );
    }
    o.onProgress?.("base moved: merge is clean, re-running gates on the merge result");
    target = await testMerge(o, head, s.branch, s.task);
    fastForward = false;
    regated = true;
  } else if (!o.noRegate) {
    // An unconfined same-uid agent can rewrite its run's whole ledger, chain and all: the record alone
    // is not evidence. A confined one could reach neither the ledger nor the key its receipt is signed
    // with, so that receipt is; otherwise the project's own gates (the clean checkout's) judge the commit.
    const verdict = o.ignoreReceipt
      ? ({ trusted: false, reason: "--no-receipt" } as const)
      : await receiptTrust({ dirs: o.project.dirs, runDir: o.loc.dir, read, commit: runHead });
    if (verdict.trusted) {
      o.onProgress?.(
        `signed receipt of a confined run verifies (key ${verdict.keyid.slice(0, 16)}): gates not re-run`,
      );
      receipt = { keyid: verdict.keyid };
    } else {
      o.onProgress?.(`re-running the gates on ${runHead.slice(0, 12)} before landing (${verdict.reason})`);
      receipt = { refused: verdict.reason };
      await regate(
        o,
        runHead,
        "the run's commit",
        "the recorded result does not hold; do not land it (omk proof verify shows what differs)",
      );
      regated = true;
    }
  }
  const trust: LandResult["trust"] = regated ? "regate" : receipt?.keyid ? "receipt" : "no-regate";
  await fastForwardTo(root, target);
  const commit = await headCommit(root);
  const journal = await RunJournal.open(o.loc.dir, o.loc.runId);
  try {
    await journal.append("Landed", {
      commit,
      fastForward,
      regated,
      regateSkipped: fastForward && o.noRegate === true,
      trust,
      ...(receipt === null ? {} : { receipt }),
      onto: here,
      mode: o.mode,
    });
  } finally {
    await journal.close();
  }
  return { runId: s.runId, commit, fastForward, regated, trust, receipt, branch: here };
}

async function testMerge(
  o: Parameters<typeof landRun>[0],
  head: string,
  branch: string,
  task: string,
): Promise<string> {
  const merge = await withThrowawayWorktree(o.project.root, "land", head, async (dir) => {
    const { commit } = await mergeInto(dir, branch, {
      ffOnly: false,
      message: `omk: land ${o.loc.runId}\n\n${task.split("\n")[0]}\n\nOmk-Run: ${o.loc.runId}`,
    });
    return commit;
  });
  await regate(
    o,
    merge,
    "the merge result",
    "the change no longer works on the new base; start a new run from it",
  );
  return merge;
}

/** The project's gates on exactly `commit`, in a gate workspace; refuses the land unless they pass. */
async function regate(
  o: Parameters<typeof landRun>[0],
  commit: string,
  what: string,
  hint: string,
): Promise<void> {
  const { project } = o;
  const gw = await acquireGateWorkspace(project);
  try {
    // Setup and gates run the run's code (its lockfile's install scripts, its tests): confined as a
    // run's are, when bwrap is here.
    const sandbox = await planGateSandbox(project, o.sandbox);
    const spawners = await workspaceSpawners(sandbox, defaultSpawner, project.root, gw.dir);
    const setup = await gw.prepare(await treeOf(project.root, commit), project.config.workspace, {
      parentEnv: project.env,
      signal: o.signal,
      proc: spawners.setup,
    });
    if (!setup.ok)
      refuse(
        `workspace setup failed on ${what}: ${setup.detail}`,
        "fix [workspace] setup in .omk/config.toml",
      );
    if (sandbox.bwrap === null && sandbox.requested !== "off")
      o.onProgress?.(`  the gates run unconfined: ${sandbox.reason ?? "no sandbox"}`);
    const result = await runGates(project.gates.gates, {
      root: gw.dir,
      parentEnv: project.env,
      signal: o.signal,
      proc: spawners.gates,
      onGateResult: (e) => o.onProgress?.(`  ${e.status} ${e.name}`),
    });
    if (!result.ok) {
      const failing = failingGates(result.gates).map((e) => `${e.name} (${e.status})`);
      refuse(`gates fail on ${what}: ${failing.join(", ") || "interrupted"}`, hint);
    }
  } finally {
    await killProcessesIn(gw.dir);
    await gw.release();
  }
}

function refuse(message: string, hint: string): never {
  throw new OmkError("LAND_REFUSED", message, { hint });
}
