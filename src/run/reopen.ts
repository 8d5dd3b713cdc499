import { lstat, rm } from "node:fs/promises";
import { join } from "node:path";
import { OmkError } from "../core/errors.js";
import { branchExists } from "../git/refs.js";
import { setBranch } from "../git/snapshot.js";
import type { RunJournal } from "../journal/run-journal.js";
import type { RunState } from "../journal/state.js";
import type { ProjectLocation } from "../project/locate.js";
import { ensureWorktree } from "../project/workspace.js";
import { RECEIPT_FILE } from "../proof/write.js";
import { type ResolvedAgent, resolveAgent } from "./adapters.js";

/** proof.json, relative to the run dir (as ProofWritten names it). */
const PROOF_FILE = "proof.json";

/** The most attempts a run may have, however often it is reopened (as `--max-attempts` and config). */
export const MAX_ATTEMPTS = 20;

/** What `omk run resume <run> --max-attempts N [--agent …]` asks for. */
export interface ReopenRequest {
  /** The new total budget, counting the attempts already spent. */
  maxAttempts: number;
  /** Another agent for the attempts to come; null keeps the run's own. */
  agent: { spec: string; bin: string | null; args: string[]; model: string | null } | null;
}

/** How many attempts a run has spent (attempts are numbered from 1 without gaps). */
export function attemptsSpent(s: RunState): number {
  return s.attempts.at(-1)?.n ?? 0;
}

/**
 * The exact command that gives a finished not_ready run more attempts, or null when none can
 * (it already has the most a run may have). Land, `run show` and the run's own report name it.
 */
export function moreAttemptsCommand(s: RunState): string | null {
  const spent = attemptsSpent(s);
  if (spent >= MAX_ATTEMPTS) return null;
  return `omk run resume ${s.runId} --max-attempts ${Math.min(MAX_ATTEMPTS, spent + 2)}`;
}

/** Why `run` cannot continue with `maxAttempts` attempts in all, or null when it can. */
export function reopenRefusal(s: RunState, maxAttempts: number): OmkError | null {
  const id = s.runId;
  const refuse = (message: string, hint: string) => new OmkError("USAGE", message, { hint });
  if (s.landed)
    return refuse(
      `run ${id} already landed as ${s.landed.commit.slice(0, 12)}: there is nothing to continue`,
      `start a new run for more work: omk run "<task>"`,
    );
  if (!s.finished)
    return refuse(
      `run ${id} has not finished: --max-attempts only gives a finished not_ready run more attempts`,
      `continue it within its budget of ${s.maxAttempts} with: omk run resume ${id}`,
    );
  const status = s.finished.status;
  const why = s.finished.reasons.join("; ");
  if (status === "ready")
    return refuse(`run ${id} is ready: every required gate passed, nothing to retry`, `omk land ${id}`);
  if (status === "blocked")
    return refuse(
      `run ${id} is blocked (${why}): a blocked change is never retried`,
      `look at it with omk run show ${id}, then start a new run`,
    );
  if (status !== "not_ready")
    return refuse(
      `run ${id} is ${status}${why ? ` (${why})` : ""}: more attempts would not change that`,
      "fix the cause, then start a new run",
    );
  const spent = attemptsSpent(s);
  if (spent >= MAX_ATTEMPTS)
    return refuse(
      `run ${id} has spent ${spent} attempts, the most a run may have (${MAX_ATTEMPTS})`,
      `start a new run: omk run "<task>"`,
    );
  if (maxAttempts <= spent)
    return refuse(
      `--max-attempts ${maxAttempts} gives run ${id} no new attempt: it has spent ${spent} (the budget is the new total, not the number to add)`,
      `omk run resume ${id} --max-attempts ${spent + 1}   (${spent + 1}–${MAX_ATTEMPTS})`,
    );
  return null;
}

/**
 * Reopens a finished not_ready run with a bigger budget: checks it may be, that its work is still
 * there (the branch holds the judged tree), and that the agent can start — before anything is
 * written. Then one RunReopened records the budget, the agent and whether the worktree must be
 * rebuilt, so the projection, the next proof and any later resume all read the same thing.
 */
export async function reopenRun<T>(
  journal: RunJournal,
  req: ReopenRequest,
  o: { project: ProjectLocation; cwd: string; env: Readonly<Record<string, string | undefined>> },
  /** The rest of what the run needs before it may go on (its sandbox plan): may refuse, before the event. */
  prepare: (agent: ResolvedAgent) => Promise<T>,
): Promise<{ agent: ResolvedAgent; prepared: T }> {
  const s = journal.state;
  const refusal = reopenRefusal(s, req.maxAttempts);
  if (refusal) throw refusal;
  if (!(await branchExists(o.project.root, s.branch))) {
    throw new OmkError("USAGE", `run ${s.runId}'s branch ${s.branch} was deleted: its work is gone`, {
      hint: `start a new run (omk run diff ${s.runId} --attempt ${attemptsSpent(s)} shows the last attempt's change)`,
    });
  }
  const agent = req.agent ?? {
    spec: s.agent.name,
    bin: s.agent.bin,
    args: s.agent.args,
    model: s.agent.model,
  };
  const resolved = await resolveAgent(agent.spec, {
    project: o.project,
    runDir: journal.dir,
    cwd: o.cwd,
    env: o.env,
    agentBin: agent.bin ?? undefined,
    preflight: true,
    fresh: req.agent !== null,
  });
  const prepared = await prepare(resolved);
  const rebuildWorkspace = (await lstat(s.worktree).catch(() => null)) === null;
  await journal.append("RunReopened", {
    previousStatus: s.finished!.status,
    previousMaxAttempts: s.maxAttempts,
    maxAttempts: req.maxAttempts,
    agent:
      req.agent === null
        ? null
        : { name: resolved.spec.text, bin: agent.bin, args: [...agent.args], model: agent.model },
    rebuildWorkspace,
    pid: process.pid,
  });
  // The superseded ending's proof and receipt go: the next ending writes its own.
  await Promise.all([PROOF_FILE, RECEIPT_FILE].map((f) => rm(join(journal.dir, f), { force: true })));
  await restoreMidRun(o.project.root, s, rebuildWorkspace);
  return { agent: resolved, prepared };
}

/**
 * Puts the worktree back as it was between two attempts: the last attempt's files (re-attached from
 * the branch, which holds the judged tree, when cleanup removed them), on a branch at the base — the
 * branch's commits are the agent's until omk commits the next judged tree, and an agent that starts
 * from the base (replay applies its cumulative patch there) must find the base at HEAD.
 */
async function restoreMidRun(root: string, s: RunState, rebuild: boolean): Promise<void> {
  if (rebuild) await ensureWorktree(root, s.worktree, s.branch, s.base);
  await setBranch(root, s.branch, s.base, `omk: run ${s.runId} reopened`);
}
