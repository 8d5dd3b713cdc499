import { OmkError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { VERSION } from "../core/version.js";
import { assertGatesRunnable } from "../gates/preflight.js";
import { headCommit } from "../git/refs.js";
import type { RunJournalEvent } from "../journal/events.js";
import { assertWritable, RunJournal, readRunJournal } from "../journal/run-journal.js";
import { ranInGoalLane } from "../journal/state.js";
import type { AskFn } from "../policy/approval.js";
import type { ExecutionMode } from "../policy/execution-mode.js";
import type { SandboxMode, SandboxNetwork } from "../proc/sandbox.js";
import { dirtyEntries, type RepoFingerprint } from "../project/fingerprint.js";
import { gateWorkspaceDirs } from "../project/gate-workspace.js";
import { gatesAtCommit } from "../project/gates.js";
import { type RunLocation, resolveRunId, runLocation } from "../project/locate.js";
import { openProject, type Project } from "../project/open.js";
import { ensurePrivateDir } from "../store/private-fs.js";
import { choosePolicyAgent, describeResolution, type ResolvedAgent, resolveAgent } from "./adapters.js";
import { reapOrphans } from "./children.js";
import { planSandbox, type RunSandbox } from "./confinement.js";
import { driveAndFinish, proofAndReceipt } from "./drive-and-finish.js";
import type { DriveResult } from "./driver.js";
import {
  discardEarlyWorktree,
  type EarlyWorktree,
  preflightFingerprint,
  takeEarlyWorktree,
} from "./prefetch.js";
import { assertHasCommits } from "./preflight.js";
import { type ReopenRequest, reopenRun } from "./reopen.js";

/** What a fresh run and a resumed one share: where, the environment, the interrupt, the policy's ask. */
export interface RunCommonOptions {
  cwd: string;
  /** The caller's environment: the parent of every child the run starts. */
  parentEnv: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  ask: AskFn | null;
  /** Observers of the run's journal (progress view): each event once it is durable. */
  onEvent?: ((e: RunJournalEvent) => void) | undefined;
  /** `--sandbox` and `--network`; unset: the run's recorded choice (resume), else the config's. */
  sandbox?: SandboxMode | undefined;
  network?: SandboxNetwork | undefined;
}

export interface StartRunOptions extends RunCommonOptions {
  task: string;
  agent?: string | undefined;
  agentBin?: string | undefined;
  agentArgs?: readonly string[] | undefined;
  model?: string | undefined;
  execution?: ExecutionMode | undefined;
  maxAttempts?: number | undefined;
  base?: string | undefined;
  allowDirty?: boolean | undefined;
  /** Protected paths the person allows this run to change (globs). */
  allowPaths?: readonly string[] | undefined;
  /** Called once the run id exists, before any long work (so the CLI can print it). */
  onRunId?: ((loc: RunLocation) => void) | undefined;
  /** An existing worktree to work in instead of a new one (a goal's pooled lane, already at `base`). */
  worktree?: string | undefined;
  /**
   * The caller has just made `worktree` exactly `base` (a goal's lane reset): its index is as git
   * wrote it for that checkout, so the first snapshot may start from it as from a fresh worktree's.
   */
  worktreeJustReset?: boolean | undefined;
  /** The project, when the caller has it open already (a goal's lanes): no second look-up. */
  project?: Project | undefined;
  /** `base` is a full commit id the caller resolved itself (a goal's integration head). */
  baseResolved?: boolean | undefined;
  /**
   * Called once nothing of the run works in its worktree any more: the drive ended (its agent session
   * closed, its processes stopped); the proof may still be being written. A goal's lane takes its
   * next task from here.
   */
  onWorktreeDone?: (() => void) | undefined;
  /** The gate workspace slot to try first (a goal's lane n passes n). */
  gateSlot?: number | undefined;
  /** Told which agent `--agent authority | primary | omk` resolved to, before the run starts. */
  onNote?: ((message: string) => void) | undefined;
}

export interface RunOutcome extends DriveResult {
  project: Project;
  loc: RunLocation;
}

export async function startRun(o: StartRunOptions): Promise<RunOutcome> {
  if (o.task.trim() === "")
    throw new OmkError("USAGE", "the task is empty", { hint: 'omk run "describe the change you want"' });
  const project = o.project ? { ...o.project, env: o.parentEnv } : await openProject(o.cwd, o.parentEnv);
  // A worktree the CLI began to check out at HEAD while this code loaded: the run takes it over when
  // it starts from that commit, else (or when it is refused before its ledger exists) it goes again.
  const early =
    o.worktree === undefined && o.base === undefined ? takeEarlyWorktree(project.root) : undefined;
  let adopted: EarlyWorktree | undefined;
  try {
    return await startNewRun(o, project, early, (e) => {
      adopted = e;
    });
  } finally {
    if (early !== undefined && adopted === undefined) await discardEarlyWorktree(early);
  }
}

async function startNewRun(
  o: StartRunOptions,
  project: Project,
  early: EarlyWorktree | undefined,
  adopt: (e: EarlyWorktree) => void,
): Promise<RunOutcome> {
  const { root, config } = project;
  // Independent reads of the repository, in parallel: each is a git process. The base's gates are
  // read as soon as the base is known; their errors still surface in order, after the checks below.
  const checkDirty = o.base === undefined && !o.allowDirty;
  const resolved = o.baseResolved === true && o.base !== undefined ? o.base : undefined;
  // The repository as the agent's first turn must find it. Its status also says whether the checkout
  // is dirty, which branch it is on and which commit HEAD is, so no other git process asks that again.
  const fingerprintP = preflightFingerprint(root);
  const headOf = (fp: RepoFingerprint) => fp.head.commit ?? headCommit(root, "HEAD");
  const baseP = (
    resolved !== undefined
      ? Promise.resolve(resolved)
      : o.base === undefined
        ? fingerprintP.then(headOf)
        : headCommit(root, o.base)
  ).catch(async (err: unknown) => {
    // A branch with no commits yet gets its own usage error.
    if (o.base === undefined) await assertHasCommits(root);
    throw err;
  });
  const gatesP = baseP.then((b) => gatesAtCommit(root, b, o.parentEnv));
  gatesP.catch(() => {});
  const [fingerprint, base] = await Promise.all([fingerprintP, baseP]);
  const dirty = checkDirty ? dirtyEntries(fingerprint) : [];
  if (dirty.length > 0) {
    throw new OmkError(
      "DIRTY_TREE",
      `the working tree has uncommitted changes (${dirty.slice(0, 3).join(", ")}${dirty.length > 3 ? ", …" : ""})`,
      {
        hint: "commit or stash them first (the agent starts from a commit, not your working tree), pass --base <rev> to start from another commit, or --allow-dirty to start from HEAD anyway",
      },
    );
  }
  const baseBranch = fingerprint.head.branch;
  const takeOver = early !== undefined && early.base === base ? early : undefined;
  const fresh = runLocation(project, takeOver?.runId ?? newId("run"));
  const loc = o.worktree === undefined ? fresh : { ...fresh, worktree: o.worktree };
  const chosen = await choosePolicyAgent(o.agent ?? config.run.agent, {
    config,
    cwd: o.cwd,
    env: o.parentEnv,
    work: "run",
    agentBin: o.agentBin,
  });
  if (chosen.resolution !== null) o.onNote?.(describeResolution(chosen.resolution));
  const agent = await resolveAgent(chosen.name, {
    project,
    runDir: loc.dir,
    cwd: o.cwd,
    env: o.parentEnv,
    agentBin: o.agentBin,
    preflight: true,
  });
  const sandbox = await planSandbox({
    mode: o.sandbox,
    network: o.network,
    config,
    needs: agent.descriptor.sandbox,
    env: o.parentEnv,
    dirs: project.dirs,
  });
  // Judged by the gates as committed at the base: an uncommitted gates.toml does not count (and makes
  // the tree dirty), so the agent's run cannot be judged by rules nobody committed.
  const runGates = await gatesP;
  // A gate that cannot run would burn every attempt and be blamed on the agent: refuse now.
  assertGatesRunnable(runGates.gates, root, o.parentEnv, runGates.source);
  const gates = runGates.gates;
  const journal = await RunJournal.create(
    loc.dir,
    loc.runId,
    {
      runId: loc.runId,
      task: o.task,
      root: project.root,
      projectId: project.projectId,
      base,
      baseBranch,
      branch: loc.branch,
      worktree: loc.worktree,
      agent: {
        name: agent.spec.text,
        bin: o.agentBin ?? null,
        args: [...(o.agentArgs ?? [])],
        model: o.model ?? null,
      },
      execution: o.execution ?? config.run.execution,
      maxAttempts: o.maxAttempts ?? config.run.max_attempts,
      gates: gates.map((g) => g.name),
      ...(o.allowPaths?.length ? { allowPaths: [...o.allowPaths] } : {}),
      omkVersion: VERSION,
    },
    o.onEvent ? [o.onEvent] : [],
  );
  // The run's record names the worktree from here on: it is the run's, whatever happens next.
  if (takeOver !== undefined) adopt(takeOver);
  try {
    // After the ledger (and its lock) exists: a run dir without a ledger is a leftover `cleanup --all` removes.
    await ensurePrivateDir(loc.artifacts);
    o.onRunId?.(loc);
    const r = await driveAndFinish(journal, {
      ...o,
      project,
      loc,
      gates: runGates,
      adapter: agent.adapter,
      plan: sandbox,
      fingerprint,
      worktreeJustReset: o.worktreeJustReset,
      earlyWorktree: takeOver?.ready,
      onWorktreeDone: o.onWorktreeDone,
      gateSlot: o.gateSlot,
    });
    return { ...r, project, loc };
  } finally {
    await journal.close();
  }
}

export interface ResumeRunOptions extends RunCommonOptions {
  run: string;
  /** `--max-attempts` (and `--agent`): continue a finished not_ready run with a bigger budget. */
  reopen?: ReopenRequest | undefined;
}

export async function resumeRun(o: ResumeRunOptions): Promise<RunOutcome> {
  const project = await openProject(o.cwd, o.parentEnv);
  const loc = await resolveRunId(project, o.run);
  // Checked before taking the lock, so a tampered or newer ledger is reported as such.
  assertWritable(await readRunJournal(loc.dir), loc.runId);
  const journal = await RunJournal.open(loc.dir, loc.runId);
  try {
    const before = journal.state;
    // A goal's task is the goal's to run again (from its integration head): the lane it worked in is
    // pooled, and may be another task's, of this goal or another one, by now.
    if (!before.finished && !o.reopen && ranInGoalLane(before))
      throw new OmkError(
        "USAGE",
        `run ${loc.runId} is a task of a goal and did not finish: its lane ${before.worktree} belongs to the goals' lanes, not to the run`,
        {
          hint: "resume the goal instead, which runs the task again: omk goal list, then omk goal resume <goal>",
        },
      );
    const plan = (agent: ResolvedAgent) =>
      planSandbox({
        mode: o.sandbox,
        network: o.network,
        prior: before.confinement,
        config: project.config,
        needs: agent.descriptor.sandbox,
        env: o.parentEnv,
        dirs: project.dirs,
      });
    // Refused, or recorded, before the progress view hears of the run.
    const reopened = o.reopen
      ? await reopenRun(journal, o.reopen, { project, cwd: o.cwd, env: o.parentEnv }, plan)
      : null;
    if (o.onEvent) {
      // The progress view learns the run's shape (and its latest budget) as if it had watched from the start.
      journal.introduce(o.onEvent);
      const budget = journal.events.findLast((e) => e.kind === "RunReopened");
      if (budget) o.onEvent(budget);
      journal.subscribe(o.onEvent);
    }
    let agent: ResolvedAgent;
    let sandbox: RunSandbox;
    if (reopened) {
      ({ agent, prepared: sandbox } = reopened);
      // What the ended run left running in its worktree stops before it is judged or worked in again.
      await reapOrphans(loc.dir, [before.worktree, ...(await gateWorkspaceDirs(project.root))]);
    } else {
      if (before.finished) {
        const r = await proofAndReceipt(journal, project, loc, { state: before, interrupted: false });
        return { ...r, project, loc };
      }
      agent = await resolveAgent(before.agent.name, {
        project,
        runDir: loc.dir,
        cwd: o.cwd,
        env: o.parentEnv,
        agentBin: before.agent.bin ?? undefined,
        preflight: false,
      });
      sandbox = await plan(agent);
      // A SIGKILLed omk leaves its agent or gate running in the worktree: stop them before starting anew.
      const reaped = await reapOrphans(loc.dir, [
        before.worktree,
        ...(await gateWorkspaceDirs(project.root)),
      ]);
      await journal.append("RunResumed", {
        after: before.lastTs,
        pid: process.pid,
        reapedGroups: reaped.length,
      });
    }
    const gates = await gatesAtCommit(project.root, before.base, o.parentEnv);
    const r = await driveAndFinish(journal, {
      ...o,
      project,
      loc,
      gates,
      adapter: agent.adapter,
      plan: sandbox,
    });
    return { ...r, project, loc };
  } finally {
    await journal.close();
  }
}
