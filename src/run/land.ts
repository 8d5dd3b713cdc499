import type { ProjectConfig } from "../core/config.js";
import { OmkError } from "../core/errors.js";
import { gateCounts } from "../gates/evidence.js";
import { runGates } from "../gates/runner.js";
import type { GateSpec } from "../gates/schema.js";
import { currentBranch, git, headCommit, isAncestor, isDirty, mergeTreeCheck } from "../git/index.js";
import { readLedger } from "../store/ledger/index.js";
import { RunEvent } from "./events.js";
import { openRunLedger } from "./ledger.js";
import type { RunLocation } from "./locate.js";
import { projectRun } from "./state.js";
import { withThrowawayWorktree } from "./throwaway.js";
import { prepareWorkspace } from "./workspace.js";

export interface LandResult {
  runId: string;
  commit: string;
  fastForward: boolean;
  regated: boolean;
  branch: string | null;
}

/**
 * Land a ready run onto the branch it started from. Fast-forward when the base has not moved;
 * otherwise (with `merge`) check the merge with `git merge-tree`, build the merge commit in a
 * throwaway worktree, re-run the gates on it, and only then fast-forward the user's branch to
 * exactly the commit that was tested.
 */
export async function landRun(o: {
  root: string;
  loc: RunLocation;
  mode: "ff-only" | "merge";
  config: ProjectConfig;
  gates: readonly GateSpec[];
  parentEnv: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal | undefined;
  onProgress?: ((line: string) => void) | undefined;
}): Promise<LandResult> {
  const { events, verify } = await readLedger(o.loc.dir);
  if (!verify.ok)
    refuse(
      `run ${o.loc.runId}: its ledger fails verification`,
      "run `omk proof verify` to see what was changed",
    );
  const s = projectRun(events);
  if (s.landed) refuse(`run ${s.runId} already landed as ${s.landed.commit.slice(0, 12)}`, "nothing to do");
  if (!s.finished) refuse(`run ${s.runId} has not finished`, `resume it with \`omk run resume ${s.runId}\``);
  if (s.finished.status !== "ready") {
    refuse(
      `run ${s.runId} is ${s.finished.status}: ${s.finished.reasons.join("; ")}`,
      "only ready runs land; start a new run or resume with a larger budget",
    );
  }
  const runHead = s.finished.headCommit;
  if (!runHead) refuse(`run ${s.runId} recorded no commit`, "start a new run");
  const g = git(o.root);
  const branchHead = (
    await g(["rev-parse", "--verify", "--quiet", `refs/heads/${s.branch}^{commit}`], { allowFail: true })
  ).stdout.trim();
  if (branchHead !== runHead) {
    refuse(
      `branch ${s.branch} is at ${branchHead.slice(0, 12) || "(missing)"} but the run recorded ${runHead.slice(0, 12)}`,
      "the run branch was changed after the run; land only what was verified",
    );
  }
  const here = await currentBranch(o.root);
  if (s.baseBranch && here !== s.baseBranch) {
    refuse(
      `the run started from ${s.baseBranch} but ${here ?? "a detached HEAD"} is checked out`,
      `git switch ${s.baseBranch}, then land again`,
    );
  }
  const dirty = await isDirty(o.root, { ignore: [".omk/"] });
  if (dirty.dirty) refuse("the working tree has uncommitted changes", "commit or stash them before landing");
  const head = await headCommit(o.root);

  let target = runHead;
  let fastForward = true;
  let regated = false;
  if (!(await isAncestor(o.root, head, runHead))) {
    if (o.mode === "ff-only") {
      refuse(
        `${here ?? "HEAD"} moved since the run started (${s.base.slice(0, 12)} → ${head.slice(0, 12)}): cannot fast-forward`,
        "land with --merge (the gates re-run on the merge result), or start a new run from the new base",
      );
    }
    const check = await mergeTreeCheck(o.root, head, runHead);
    if (!check.clean) {
      refuse(
        `merging ${s.branch} into ${here ?? "HEAD"} conflicts in: ${check.conflicts.join(", ")}`,
        "start a new run from the current base",
      );
    }
    o.onProgress?.("base moved: merge is clean, re-running gates on the merge result");
    target = await testMerge(o, head, runHead, s.task);
    fastForward = false;
    regated = true;
  }
  await g(["merge", "--ff-only", "-q", target]);
  const commit = await headCommit(o.root);
  const ledger = await openRunLedger(o.loc.dir, o.loc.runId);
  try {
    await ledger.append({
      kind: RunEvent.Landed,
      data: { commit, fastForward, regated, onto: here, mode: o.mode },
    });
  } finally {
    await ledger.close();
  }
  return { runId: s.runId, commit, fastForward, regated, branch: here };
}

async function testMerge(
  o: Parameters<typeof landRun>[0],
  head: string,
  runHead: string,
  task: string,
): Promise<string> {
  return withThrowawayWorktree(o.root, "land", head, async (dir) => {
    const wg = git(dir);
    await wg([
      "merge",
      "--no-ff",
      "--no-edit",
      "-q",
      "-m",
      `omk: land ${o.loc.runId}\n\n${task.split("\n")[0]}\n\nOmk-Run: ${o.loc.runId}`,
      runHead,
    ]);
    const merge = await headCommit(dir);
    const setup = await prepareWorkspace(o.root, dir, o.config.workspace, {
      parentEnv: o.parentEnv,
      signal: o.signal,
      onStep: () => {},
    });
    if (!setup.ok)
      refuse(
        `workspace setup failed on the merge result: ${setup.detail}`,
        "fix [workspace] setup in .omk/config.toml",
      );
    const result = await runGates(o.gates, {
      root: dir,
      parentEnv: o.parentEnv,
      signal: o.signal,
      onGateResult: (e) => o.onProgress?.(`  ${e.status} ${e.name}`),
    });
    if (!result.ok) {
      const failing = result.gates
        .filter((e) => gateCounts(e) && e.status !== "pass" && e.status !== "skip")
        .map((e) => `${e.name} (${e.status})`);
      refuse(
        `gates fail on the merge result: ${failing.join(", ")}`,
        "the change no longer works on the new base; start a new run from it",
      );
    }
    return merge;
  });
}

function refuse(message: string, hint: string): never {
  throw new OmkError("LAND_REFUSED", message, { hint });
}
