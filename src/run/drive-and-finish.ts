import { VERSION } from "../core/version.js";
import type { RunJournal } from "../journal/run-journal.js";
import type { RepoFingerprint } from "../project/fingerprint.js";
import type { TreeGates } from "../project/gates.js";
import type { RunLocation } from "../project/locate.js";
import type { Project } from "../project/open.js";
import { writeProof } from "../proof/write.js";
import { runProcessContext } from "./children.js";
import type { RunSandbox } from "./confinement.js";
import { type DriveResult, driveRun } from "./driver.js";
import { startHeartbeat } from "./live.js";
import { ensureReceipt } from "./receipt.js";
import type { RunCommonOptions } from "./start.js";

/** The loop in the run's own process context, then — when it finished — the proof. */
export async function driveAndFinish(journal: RunJournal, o: DriveContext): Promise<DriveResult> {
  // Who is driving the run right now (live.json, outside the ledger): `run list` tells running from crashed.
  const before = journal.state;
  const live = await startHeartbeat(o.loc.dir, {
    pid: process.pid,
    attempt: before.attempts.at(-1)?.n ?? null,
    phase: "starting",
  });
  const unsubscribe = journal.subscribe((e) => live.observe(e));
  try {
    return await drive(journal, o);
  } finally {
    unsubscribe();
    await live.stop();
  }
}

async function drive(journal: RunJournal, o: DriveContext): Promise<DriveResult> {
  const r = await driveRun({
    journal,
    project: o.project,
    loc: o.loc,
    config: o.project.config,
    gates: o.gates.gates,
    protect: o.gates.protect,
    adapter: o.adapter,
    parentEnv: o.parentEnv,
    cwd: o.cwd,
    proc: runProcessContext(o.loc.dir),
    signal: o.signal,
    ask: o.ask,
    sandbox: o.plan,
    fingerprint: o.fingerprint,
    worktreeJustReset: o.worktreeJustReset,
    earlyWorktree: o.earlyWorktree,
    gateSlot: o.gateSlot,
  });
  o.onWorktreeDone?.();
  return proofAndReceipt(journal, o.project, o.loc, r, o.gates.committed);
}

/** A finished run's proof and receipt, each written unless it is there already. */
export async function proofAndReceipt(
  journal: RunJournal,
  project: Project,
  loc: RunLocation,
  r: DriveResult,
  gatesRead?: TreeGates["committed"],
): Promise<DriveResult> {
  return receipted(journal, project, loc, await finish(journal, loc, r), gatesRead);
}

type RunOutcomeAdapter = Parameters<typeof driveRun>[0]["adapter"];

export type DriveContext = RunCommonOptions & {
  project: Project;
  loc: RunLocation;
  gates: TreeGates;
  adapter: RunOutcomeAdapter;
  plan: RunSandbox;
  /** A fresh run's preflight fingerprint of the repository; a resume takes a new one. */
  fingerprint?: RepoFingerprint | undefined;
  worktreeJustReset?: boolean | undefined;
  /** The worktree being checked out for this fresh run before it started (see takeEarlyWorktree). */
  earlyWorktree?: Promise<"created" | "reattached"> | undefined;
  onWorktreeDone?: (() => void) | undefined;
  gateSlot?: number | undefined;
};

/** A finished run always ends with its proof, whoever started it. */
async function finish(journal: RunJournal, loc: RunLocation, r: DriveResult): Promise<DriveResult> {
  if (r.interrupted || !r.state.finished || r.state.proofWritten) return r;
  await writeProof(journal, loc.proofFile, VERSION);
  return { ...r, state: journal.state };
}

/** …and its signed receipt (also when a crash came between the proof and the receipt). */
async function receipted(
  journal: RunJournal,
  project: Project,
  loc: RunLocation,
  r: DriveResult,
  gatesRead?: TreeGates["committed"],
) {
  if (!r.interrupted && r.state.finished && r.state.proofWritten)
    await ensureReceipt(journal, project, loc, gatesRead);
  return r;
}
