import { join } from "node:path";
import { isOmkError, OmkError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { VERSION } from "../core/version.js";
import { assertGatesRunnable } from "../gates/preflight.js";
import { casBranch } from "../git/goal.js";
import { headCommit } from "../git/refs.js";
import type { RunJournalEvent } from "../journal/events.js";
import type { AgentChoice, GoalJournalEvent } from "../journal/goal-events.js";
import type { SandboxMode, SandboxNetwork } from "../proc/sandbox.js";
import { probeSandbox } from "../proc/sandbox-probe.js";
import { dirtyEntries } from "../project/fingerprint.js";
import { gatesAtCommit } from "../project/gates.js";
import { openProject, type Project } from "../project/open.js";
import { resolveAgent } from "../run/adapters.js";
import { assertHasCommits } from "../run/preflight.js";
import { repoFingerprint } from "../run/repo-check.js";
import { driveGoal } from "./drive.js";
import { assertGoalWritable, GoalJournal, readGoalJournal } from "./journal.js";
import { type GoalLocation, goalLocation, resolveGoalId } from "./locate.js";
import { completePlan, planRefusal, recordPlan } from "./plan-record.js";
import { type PlanText, planFromFile, planWithAgent } from "./planner.js";
import { writeGoalProof } from "./proof.js";
import { type GoalState, planComplete } from "./state.js";
import { startableAtOnce, warmLanes } from "./warm-lanes.js";

export interface GoalCommonOptions {
  cwd: string;
  parentEnv: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  onEvent?: ((e: GoalJournalEvent) => void) | undefined;
  /** Each lane's run events (the live lanes view). */
  onRunEvent?: ((lane: number, taskId: string, e: RunJournalEvent) => void) | undefined;
  /** Tie-break seed of the scheduler (deterministic given the seed). */
  seed?: number | undefined;
}

export interface StartGoalOptions extends GoalCommonOptions {
  goal: string;
  lanes: number;
  agent: AgentChoice;
  /** Null: the plan comes from `planFile`. */
  planner: AgentChoice | null;
  planFile?: string | undefined;
  acceptPartial: boolean;
  maxAttempts?: number | undefined;
  portBase: number;
  portSpan: number;
  sandbox?: SandboxMode | undefined;
  network?: SandboxNetwork | undefined;
  onGoalId?: ((loc: GoalLocation) => void) | undefined;
}

export interface GoalOutcome {
  project: Project;
  loc: GoalLocation;
  state: GoalState;
  interrupted: boolean;
  /** Stopped by `omk goal pause` (after its running tasks); `omk goal resume` continues. */
  paused: boolean;
}

/**
 * `omk goal run`: the goal's ledger and integration branch, the plan (a planner agent or --plan),
 * validation (each rejection recorded with its rule; any rejection stops the goal before any work
 * unless --accept-partial), then the lanes.
 */
export async function startGoal(o: StartGoalOptions): Promise<GoalOutcome> {
  if (o.goal.trim() === "" && o.planFile === undefined)
    throw new OmkError("USAGE", "the goal is empty", { hint: 'omk goal run "describe the goal"' });
  const project = await openProject(o.cwd, o.parentEnv);
  const { root } = project;
  // Started now, used later: the sandbox's one-time trial (memoized for the process) and the plan file.
  if ((o.sandbox ?? project.config.sandbox.mode) !== "off") probeSandbox(o.parentEnv).catch(() => {});
  const planFileP = o.planFile !== undefined ? planFromFile(o.planFile) : undefined;
  planFileP?.catch(() => {});
  // One status of the main checkout says whether it is dirty, which branch it is on and its commit.
  const fp = await repoFingerprint(root);
  const dirty = dirtyEntries(fp);
  if (dirty.length > 0) {
    throw new OmkError(
      "DIRTY_TREE",
      `the working tree has uncommitted changes (${dirty.slice(0, 3).join(", ")})`,
      {
        hint: "commit or stash them first: a goal's tasks start from a commit",
      },
    );
  }
  if (fp.head.commit === null) await assertHasCommits(root);
  const base = fp.head.commit ?? (await headCommit(root));
  const baseBranch = fp.head.branch;
  const loc = goalLocation(project, newId("goal"));
  // Every task's agent (and the planner) must be there before anything is recorded: a missing one
  // would otherwise block each task in turn.
  for (const a of o.planner === null ? [o.agent] : [o.agent, o.planner]) {
    await resolveAgent(a.name, {
      project,
      runDir: join(loc.dir, "preflight"),
      cwd: o.cwd,
      env: o.parentEnv,
      agentBin: a.bin ?? undefined,
      preflight: true,
    });
  }
  const atBase = await gatesAtCommit(root, base, o.parentEnv);
  const { protect } = atBase;
  // Every task's run would refuse to start without runnable gates: refuse the goal before any work.
  assertGatesRunnable(atBase.gates, root, o.parentEnv, atBase.source);
  // A plan from a file is read by now: its first tasks' lanes are reset while the goal is recorded
  // (not before the checks above: a refused goal leaves no state behind).
  let warm = planFileP?.then(
    (p) => warmLanes(project, base, startableAtOnce(p.tasks, o.lanes)),
    () => undefined,
  );
  try {
    const journal = await GoalJournal.create(loc.dir, loc.goalId, {
      goalId: loc.goalId,
      goal: o.goal,
      root,
      projectId: project.projectId,
      base,
      baseBranch,
      integrationBranch: loc.integrationBranch,
      lanes: o.lanes,
      agent: o.agent,
      planner: o.planner,
      planFile: o.planFile ?? null,
      acceptPartial: o.acceptPartial,
      portBase: o.portBase,
      portSpan: o.portSpan,
      maxAttempts: o.maxAttempts ?? null,
      sandbox: o.sandbox ?? null,
      network: o.network ?? null,
      omkVersion: VERSION,
    });
    if (o.onEvent) journal.subscribe(o.onEvent);
    try {
      o.onGoalId?.(loc);
      if (!(await casBranch(root, loc.integrationBranch, base, null, "omk goal: integration branch"))) {
        throw new OmkError("GIT_FAILED", `branch ${loc.integrationBranch} already exists`, {
          hint: "a goal id is never reused; delete the stray branch",
        });
      }
      let plan: PlanText;
      try {
        plan =
          planFileP !== undefined
            ? await planFileP
            : await planWithAgent({
                project,
                goal: o.goal,
                base,
                planner: o.planner ?? o.agent,
                plannerDir: join(loc.dir, "planner"),
                cwd: o.cwd,
                parentEnv: o.parentEnv,
                signal: o.signal,
              });
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        const status = isOmkError(err) && err.code === "INTERRUPTED" ? "cancelled" : "blocked";
        await journal.append("GoalFinished", { status, reasons: [`planning failed: ${reason}`], head: base });
        await writeGoalProof(journal, project, loc.proofFile, VERSION);
        throw err;
      }
      // A planner's plan: its first tasks' lanes are reset while the verdicts are recorded.
      warm ??= Promise.resolve(warmLanes(project, base, startableAtOnce(plan.tasks, o.lanes)));
      const { rejected } = await recordPlan(
        journal,
        loc.dir,
        plan,
        o.planFile !== undefined ? "file" : "planner",
        protect,
      );
      const refusal = planRefusal(journal.state);
      if (refusal !== null) {
        const reasons = refusal;
        await journal.append("GoalFinished", { status: "blocked", reasons, head: base });
        await writeGoalProof(journal, project, loc.proofFile, VERSION);
        throw new OmkError(
          "PLAN_INVALID",
          `the plan was refused: ${reasons[0]}${reasons.length > 1 ? ` (and ${reasons.length - 1} more)` : ""}`,
          {
            hint:
              journal.state.order.length === 0
                ? "fix the plan (or the planner prompt in .omk/prompts/plan.md) and start again"
                : "fix the plan, or run with --accept-partial to go ahead with the valid tasks only",
            details: { goalId: loc.goalId, rejected },
          },
        );
      }
      // From here the loop holds the warm lanes, and releases them.
      const lanes = await warm;
      warm = undefined;
      const r = await driveGoal(journal, { ...o, project, loc, warm: lanes });
      return { project, loc, state: journal.state, ...r };
    } finally {
      await journal.close();
    }
  } finally {
    // Lanes the loop never took over (the goal stopped before it) go back to the pool.
    await (await warm)?.release();
  }
}

/** `omk goal resume`: continue an interrupted or crashed goal from its ledger. */
export async function resumeGoal(o: GoalCommonOptions & { goal: string }): Promise<GoalOutcome> {
  const project = await openProject(o.cwd, o.parentEnv);
  const loc = await resolveGoalId(project, o.goal);
  assertGoalWritable(await readGoalJournal(loc.dir), loc.goalId);
  const journal = await GoalJournal.open(loc.dir, loc.goalId);
  if (o.onEvent) journal.subscribe(o.onEvent);
  try {
    if (journal.state.finished) {
      // Killed between the verdict and the proof: the proof is all that is missing.
      if (journal.state.proofSha256 === null) await writeGoalProof(journal, project, loc.proofFile, VERSION);
      return { project, loc, state: journal.state, interrupted: false, paused: false };
    }
    if (journal.state.plan === null) {
      await journal.append("GoalFinished", {
        status: "failed_infra",
        reasons: ["the goal stopped before its plan was recorded; start it again"],
        head: journal.state.base,
      });
      return { project, loc, state: journal.state, interrupted: false, paused: false };
    }
    if (!planComplete(journal.state)) {
      const { protect } = await gatesAtCommit(project.root, journal.state.base, o.parentEnv);
      await completePlan(journal, loc.dir, protect);
    }
    const refusal = planRefusal(journal.state);
    if (refusal !== null) {
      await journal.append("GoalFinished", { status: "blocked", reasons: refusal, head: journal.state.base });
      await writeGoalProof(journal, project, loc.proofFile, VERSION);
      return { project, loc, state: journal.state, interrupted: false, paused: false };
    }
    await journal.append("GoalResumed", { pid: process.pid });
    const s = journal.state;
    const r = await driveGoal(journal, {
      ...o,
      project,
      loc,
      lanes: s.lanes,
      agent: s.agent,
      maxAttempts: s.maxAttempts ?? undefined,
      portBase: s.portBase,
      portSpan: s.portSpan,
    });
    return { project, loc, state: journal.state, ...r };
  } finally {
    await journal.close();
  }
}
