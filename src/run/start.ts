import { isAbsolute, resolve } from "node:path";
import type { ExecutionMode } from "../agents/types.js";
import { OmkError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { currentBranch, headCommit, isDirty, requireRepoRoot } from "../git/index.js";
import type { AskFn } from "../policy/approval.js";
import { type Ledger, type LedgerEvent, readLedger } from "../store/ledger/index.js";
import { ensurePrivateDir } from "../store/private-fs.js";
import { preflightAgent, resolveAdapter } from "./adapters.js";
import { reapOrphans, recordChildren } from "./children.js";
import { loadProjectConfig } from "./config-load.js";
import { type DriveResult, driveRun } from "./driver.js";
import { RunEvent } from "./events.js";
import { openRunLedger } from "./ledger.js";
import {
  locateProject,
  type ProjectLocation,
  type RunLocation,
  resolveRunId,
  runLocation,
} from "./locate.js";
import { projectRun } from "./state.js";
import { gatesForTree } from "./verify-tree.js";

export interface StartRunOptions {
  cwd: string;
  task: string;
  agent?: string | undefined;
  agentBin?: string | undefined;
  agentArgs?: readonly string[] | undefined;
  model?: string | undefined;
  execution?: ExecutionMode | undefined;
  maxAttempts?: number | undefined;
  base?: string | undefined;
  allowDirty?: boolean | undefined;
  parentEnv: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  ask: AskFn | null;
  onEvent?: ((e: LedgerEvent) => void) | undefined;
  finalize?: FinalizeHook | undefined;
  /** Called once the run id exists, before any long work (so the CLI can print it). */
  onRunId?: ((loc: RunLocation) => void) | undefined;
}

/** Runs after the loop finished (not when interrupted), with the ledger still open: the proof writer. */
export type FinalizeHook = (ledger: Ledger, events: LedgerEvent[], loc: RunLocation) => Promise<void>;

export interface RunOutcome extends DriveResult {
  project: ProjectLocation;
  loc: RunLocation;
}

export async function startRun(o: StartRunOptions): Promise<RunOutcome> {
  if (o.task.trim() === "")
    throw new OmkError("USAGE", "the task is empty", { hint: 'omk run "describe the change you want"' });
  const root = await requireRepoRoot(o.cwd);
  // Independent reads of the repository, in parallel: each is a git process or a file read.
  const checkDirty = o.base === undefined && !o.allowDirty;
  const [config, project, dirty, base, baseBranch, { gates }] = await Promise.all([
    loadProjectConfig(root),
    locateProject(root, o.parentEnv),
    checkDirty
      ? isDirty(root, { ignore: [".omk/"] })
      : Promise.resolve({ dirty: false, entries: [] as string[] }),
    headCommit(root, o.base ?? "HEAD"),
    currentBranch(root),
    gatesForTree(root),
  ]);
  if (dirty.dirty) {
    throw new OmkError(
      "DIRTY_TREE",
      `the working tree has uncommitted changes (${dirty.entries.slice(0, 3).join(", ")}${dirty.entries.length > 3 ? ", …" : ""})`,
      {
        hint: "commit or stash them first (the agent starts from a commit, not your working tree), pass --base <rev> to start from another commit, or --allow-dirty to start from HEAD anyway",
      },
    );
  }
  await preflightAgent(o.agent ?? config.run.agent, o.agentBin, o.parentEnv, o.cwd);
  const loc = runLocation(project, newId("run"));
  await ensurePrivateDir(loc.artifacts);
  let agentSpec = o.agent ?? config.run.agent;
  if (agentSpec.startsWith("replay:")) {
    const src = agentSpec.slice(7);
    // Keep file sources absolute so `run resume` from another directory finds them.
    if (src.includes("/") || src.endsWith(".json"))
      agentSpec = `replay:${isAbsolute(src) ? src : resolve(o.cwd, src)}`;
  }
  const adapter = await resolveAdapter(agentSpec, project, loc.dir);
  const ledger = await openRunLedger(loc.dir, loc.runId);
  const events: LedgerEvent[] = [];
  try {
    const first = await ledger.append({
      kind: RunEvent.RunStarted,
      data: {
        runId: loc.runId,
        task: o.task,
        root: project.root,
        projectId: project.projectId,
        base,
        baseBranch,
        branch: loc.branch,
        worktree: loc.worktree,
        agent: {
          name: agentSpec,
          bin: o.agentBin ?? null,
          args: [...(o.agentArgs ?? [])],
          model: o.model ?? null,
        },
        execution: o.execution ?? config.run.execution,
        maxAttempts: o.maxAttempts ?? config.run.max_attempts,
        gates: gates.map((g) => g.name),
        omkVersion: o.parentEnv["npm_package_version"] ?? null,
      },
    });
    events.push(first);
    o.onEvent?.(first);
    o.onRunId?.(loc);
    return { ...(await driveAndFinish({ ...o, ledger, events, loc, config, gates, adapter })), project, loc };
  } finally {
    await ledger.close();
  }
}

/** The loop, with the run's children recorded for crash recovery, then the proof when it finished. */
async function driveAndFinish(
  o: Omit<Parameters<typeof driveRun>[0], "onEvent"> & {
    onEvent?: ((e: LedgerEvent) => void) | undefined;
    finalize?: FinalizeHook | undefined;
  },
): Promise<DriveResult> {
  const stopRecording = recordChildren(o.loc.dir);
  try {
    const r = await driveRun(o);
    return await finish(r, o.ledger, o.events, o.loc, o.finalize);
  } finally {
    stopRecording();
  }
}

async function finish(
  r: DriveResult,
  ledger: Ledger,
  events: LedgerEvent[],
  loc: RunLocation,
  hook: FinalizeHook | undefined,
): Promise<DriveResult> {
  if (r.interrupted || !r.state.finished || r.state.proofWritten || !hook) return r;
  await hook(ledger, events, loc);
  return { ...r, state: projectRun(events) };
}

export interface ResumeRunOptions {
  cwd: string;
  run: string;
  parentEnv: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  ask: AskFn | null;
  onEvent?: ((e: LedgerEvent) => void) | undefined;
  finalize?: FinalizeHook | undefined;
}

export async function resumeRun(o: ResumeRunOptions): Promise<RunOutcome> {
  const root = await requireRepoRoot(o.cwd);
  const config = await loadProjectConfig(root);
  const project = await locateProject(root, o.parentEnv);
  const loc = await resolveRunId(project, o.run);
  const ledger = await openRunLedger(loc.dir, loc.runId);
  try {
    const { events, verify } = await readLedger(loc.dir);
    if (!verify.ok) {
      const p = verify.problems.find((x) => x.kind !== "torn_tail");
      throw new OmkError(
        "LEDGER_CORRUPT",
        `run ${loc.runId}: ledger fails verification${p ? ` at seq ${p.seq ?? "?"} (${p.kind}): ${p.message}` : ""}`,
        {
          hint: "a tampered ledger cannot be resumed; start a new run",
        },
      );
    }
    const before = projectRun(events);
    if (before.finished) {
      const r = await finish({ state: before, interrupted: false }, ledger, events, loc, o.finalize);
      return { ...r, project, loc };
    }
    const adapter = await resolveAdapter(before.agent.name, project, loc.dir);
    // Gates are read from the main checkout, as at start, so an uncommitted .omk/ still applies.
    const gates = (await gatesForTree(project.root)).gates;
    // A SIGKILLed omk leaves its agent or gate running in the worktree: stop them before starting anew.
    const reaped = await reapOrphans(loc.dir, before.worktree);
    // Observers (the progress view) learn the run's shape from its first event, as on a fresh start.
    if (events[0]) o.onEvent?.(events[0]);
    const resumed = await ledger.append({
      kind: RunEvent.RunResumed,
      data: { after: before.lastTs, pid: process.pid, reapedGroups: reaped.length },
    });
    events.push(resumed);
    o.onEvent?.(resumed);
    return { ...(await driveAndFinish({ ...o, ledger, events, loc, config, gates, adapter })), project, loc };
  } finally {
    await ledger.close();
  }
}
