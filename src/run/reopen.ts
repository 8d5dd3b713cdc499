import { lstat, rm } from "node:fs/promises";
import { join } from "node:path";
import { OmkError } from "../core/errors.js";
import { branchExists } from "../git/refs.js";
import { setBranch } from "../git/snapshot.js";
import type { RunJournal } from "../journal/run-journal.js";
import { type RunState, ranInGoalLane } from "../journal/state.js";
import { changeRunsCode } from "../project/fingerprint.js";
import type { ProjectLocation } from "../project/locate.js";
import { ensureWorktree } from "../project/workspace.js";
import { RECEIPT_FILE } from "../proof/write.js";
import { type ResolvedAgent, resolveAgent } from "./adapters.js";

/** proof.json, relative to the run dir (as ProofWritten names it). */
const PROOF_FILE = "proof.json";

/** The most attempts a run may have, however often it is reopened (as `--max-attempts` and config). */
export const MAX_ATTEMPTS = 20;

/** What `omk run resume <run> [--max-attempts N [--agent …]] [--accept-outside-changes]` asks for. */
export interface ReopenRequest {
  /** The new total budget, counting the attempts already spent; null keeps the run's (accepting only). */
  maxAttempts: number | null;
  /** Another agent for the attempts to come; null keeps the run's own. */
  agent: { spec: string; bin: string | null; args: string[]; model: string | null } | null;
  /** The person made the changes outside the worktree that blocked the run: judge its last attempt again. */
  acceptOutside?: boolean | undefined;
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
  if (ranInGoalLane(s)) return null;
  const spent = attemptsSpent(s);
  if (spent >= MAX_ATTEMPTS) return null;
  return `omk run resume ${s.runId} --max-attempts ${Math.min(MAX_ATTEMPTS, spent + 2)}`;
}

/**
 * The changes outside the worktree that alone blocked the run's last attempt, or null when the run
 * is not blocked by them alone (a secret, a protected path or a failed setup blocks too, or nothing
 * outside changed). Only then can the person vouch for them and have the attempt judged again.
 */
export function outsideOnlyBlock(s: RunState): string[] | null {
  if (s.finished?.status !== "blocked" || s.landed || s.setupFailed !== null || ranInGoalLane(s)) return null;
  const last = s.attempts.at(-1);
  if (!last || last.tampered.length === 0) return null;
  if (last.findings.length > 0 || last.violations.length > 0 || last.setupFailed !== null) return null;
  if (last.tampered.some(changeRunsCode)) return null;
  return last.tampered;
}

/**
 * The exact command that continues a run blocked only by changes outside its worktree, once the
 * person has checked they made them (a `git fetch`, a commit or an edit in their checkout); null
 * for any other run. The run's report, `run show` and `land` name it.
 */
export function acceptOutsideCommand(s: RunState): string | null {
  return outsideOnlyBlock(s) === null ? null : `omk run resume ${s.runId} --accept-outside-changes`;
}

/** Why `run` cannot continue as `req` asks, or null when it can. */
export function reopenRefusal(s: RunState, req: ReopenRequest): OmkError | null {
  const id = s.runId;
  const refuse = (message: string, hint: string) => new OmkError("USAGE", message, { hint });
  if (ranInGoalLane(s))
    return refuse(
      `run ${id} was a task of a goal: its lane ${s.worktree} is the goal's, not the run's to go on in`,
      "the goal decides about its tasks: omk goal show <goal>, omk goal resume <goal>",
    );
  if (req.acceptOutside) return acceptRefusal(s, req.maxAttempts);
  const maxAttempts = req.maxAttempts ?? s.maxAttempts;
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
  if (status === "blocked") {
    const accept = acceptOutsideCommand(s);
    return refuse(
      `run ${id} is blocked (${why}): a blocked change is never retried`,
      accept === null
        ? `look at it with omk run show ${id}, then start a new run`
        : `if you made those changes yourself (a git fetch, a commit or an edit in your checkout), check them and run: ${accept}`,
    );
  }
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

/** Why a run's outside changes cannot be accepted (with `maxAttempts`, when given), or null. */
function acceptRefusal(s: RunState, maxAttempts: number | null): OmkError | null {
  const id = s.runId;
  const refuse = (message: string, hint: string) => new OmkError("USAGE", message, { hint });
  const what = "--accept-outside-changes continues a run that changes outside its worktree blocked";
  if (s.landed)
    return refuse(`run ${id} already landed as ${s.landed.commit.slice(0, 12)}: ${what}`, "nothing to do");
  if (!s.finished)
    return refuse(`run ${id} has not finished: ${what}`, `continue it with: omk run resume ${id}`);
  const status = s.finished.status;
  if (status !== "blocked") {
    const more = status === "not_ready" ? moreAttemptsCommand(s) : null;
    return refuse(
      `run ${id} is ${status}, not blocked: ${what}`,
      status === "ready"
        ? `omk land ${id}`
        : more !== null
          ? `give it more attempts with: ${more}`
          : `look at it with omk run show ${id}`,
    );
  }
  const code = s.attempts.at(-1)?.tampered.filter(changeRunsCode) ?? [];
  if (code.length > 0)
    return refuse(
      `run ${id} is blocked by changes to what makes git run programs or hide files (${code.join("; ")}): omk does not accept those as yours`,
      "check them (git config --list --show-origin; the hooks and info/ directories of the git dir), undo what you did not do, then start a new run",
    );
  if (outsideOnlyBlock(s) === null)
    return refuse(
      `run ${id} is blocked (${s.finished.reasons.join("; ")}), not by changes outside its worktree alone: a blocked change is never retried`,
      `look at it with omk run show ${id}, then start a new run`,
    );
  const spent = attemptsSpent(s);
  if (maxAttempts !== null && maxAttempts < spent)
    return refuse(
      `--max-attempts ${maxAttempts} is fewer than the ${spent} attempt(s) run ${id} has spent (the budget is the new total)`,
      `omk run resume ${id} --accept-outside-changes --max-attempts ${Math.min(MAX_ATTEMPTS, spent + 1)}`,
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
  const refusal = reopenRefusal(s, req);
  if (refusal) throw refusal;
  const accepted = req.acceptOutside ? outsideOnlyBlock(s) : null;
  // The agent's work of a blocked run is only in its worktree (nothing was committed).
  if (accepted !== null && (await lstat(s.worktree).catch(() => null)) === null) {
    throw new OmkError(
      "USAGE",
      `run ${s.runId}'s worktree ${s.worktree} was removed: the agent's work is gone`,
      {
        hint: `start a new run (omk run diff ${s.runId} shows what the agent changed, when its attempt got that far)`,
      },
    );
  }
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
  const last = s.attempts.at(-1);
  await journal.append("RunReopened", {
    previousStatus: s.finished!.status,
    previousMaxAttempts: s.maxAttempts,
    maxAttempts: req.maxAttempts ?? s.maxAttempts,
    agent:
      req.agent === null
        ? null
        : { name: resolved.spec.text, bin: agent.bin, args: [...agent.args], model: agent.model },
    rebuildWorkspace,
    pid: process.pid,
    ...(accepted !== null && last ? { acceptedOutside: { attempt: last.n, changes: [...accepted] } } : {}),
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
