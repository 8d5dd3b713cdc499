import { lstatSync } from "node:fs";
import { lstat } from "node:fs/promises";
import { OmkError } from "../core/errors.js";
import type { DecodedEvents } from "../journal/events.js";
import { journalProblem, readRunJournal } from "../journal/run-journal.js";
import type { RunState } from "../journal/state.js";
import { readCachedSummarySync, readRunSummary } from "../journal/summary.js";
import { listRunIds, type ProjectLocation, resolveRunId, runLocation } from "../project/locate.js";
import { type Liveness, runLiveness } from "./live.js";
import { currentPhase } from "./resume-point.js";

export interface RunSummary {
  runId: string;
  /**
   * The finished status (`ready`, `not_ready`, …), `interrupted`, or for an unfinished run `running`
   * (an omk process is driving it: see `live`) or `crashed` (none is: `omk run resume` continues it).
   */
  status: string;
  phase: string;
  task: string;
  branch: string;
  attempts: number;
  startedAt: string;
  updatedAt: string;
  headCommit: string | null;
  landed: boolean;
  /** The commit the run landed as, or null. */
  landedCommit: string | null;
  /** The omk process driving an unfinished run, or null. */
  live: { pid: number; attempt: number | null; phase: string; heartbeatAt: string } | null;
  /** Whether the run's worktree is still on disk (`omk cleanup` removes finished runs' worktrees). */
  worktreeExists: boolean;
  ledgerOk: boolean;
  /** Why this omk cannot fully read the run (e.g. written by a newer omk), or null. */
  problem: string | null;
}

function summarize(
  s: RunState,
  ledgerOk: boolean,
  problem: string | null,
  live: Liveness | null,
  worktreeExists: boolean,
): RunSummary {
  return {
    runId: s.runId,
    status: s.finished?.status ?? (s.interrupted ? "interrupted" : (live?.state ?? "crashed")),
    phase: currentPhase(s),
    task: s.task,
    branch: s.branch,
    attempts: s.attempts.length,
    startedAt: s.startedAt,
    updatedAt: s.lastTs,
    headCommit: s.finished?.headCommit ?? null,
    landed: s.landed !== null,
    landedCommit: s.landed?.commit ?? null,
    live:
      live?.state === "running"
        ? { pid: live.pid, attempt: live.attempt, phase: live.phase, heartbeatAt: live.heartbeatAt }
        : null,
    worktreeExists,
    ledgerOk,
    problem,
  };
}

async function observe(
  dir: string,
  s: RunState,
): Promise<{ live: Liveness | null; worktreeExists: boolean }> {
  const [live, wt] = await Promise.all([
    s.finished || s.interrupted ? Promise.resolve(null) : runLiveness(dir),
    lstat(s.worktree).catch(() => null),
  ]);
  return { live, worktreeExists: wt !== null };
}

/** `run list`: one summary per run, projected from each ledger (and live.json for unfinished ones). */
export async function listRuns(project: ProjectLocation): Promise<RunSummary[]> {
  const ids = await listRunIds(project);
  const runs = await Promise.all(
    ids.map(async (id) => {
      try {
        const dir = runLocation(project, id).dir;
        // summary.json when it is current (read synchronously: see readCachedSummarySync), else the
        // ledger replayed and the summary rebuilt.
        const sum = readCachedSummarySync(dir) ?? (await readRunSummary(dir));
        const s = sum.state;
        if (!s) return null;
        if (s.finished || s.interrupted) {
          const worktreeExists = lstatSync(s.worktree, { throwIfNoEntry: false }) !== undefined;
          return summarize(s, sum.ledgerOk, sum.problem, null, worktreeExists);
        }
        const o = await observe(dir, s);
        return summarize(s, sum.ledgerOk, sum.problem, o.live, o.worktreeExists);
      } catch {
        return null; // an unreadable run directory is reported by `run show`, not by the list
      }
    }),
  );
  return runs.filter((r): r is RunSummary => r !== null);
}

/** `run show`: the projected state plus the ledger verdict and what this omk could not decode. */
export async function showRun(project: ProjectLocation, id: string) {
  const loc = await resolveRunId(project, id);
  const read = await readRunJournal(loc.dir);
  const problem = journalProblem(read);
  if (read.state === null) {
    throw new OmkError("LEDGER_CORRUPT", `run ${loc.runId}: ${problem ?? "unreadable ledger"}`, {
      hint: "run `omk proof verify` to see what is wrong with it",
    });
  }
  const undecoded: Pick<DecodedEvents, "unknown" | "invalid"> = {
    unknown: read.unknown,
    invalid: read.invalid,
  };
  const o = await observe(loc.dir, read.state);
  return {
    loc,
    state: read.state,
    verify: read.verify,
    summary: summarize(read.state, read.verify.ok, problem, o.live, o.worktreeExists),
    undecoded,
  };
}

/** A run's status as one phrase: `running (pid N, attempt 2, gate test)`, `crashed — omk run resume <id>`. */
export function describeStatus(r: Pick<RunSummary, "status" | "live" | "runId">): string {
  if (r.status === "running" && r.live) {
    const parts = [`pid ${r.live.pid}`];
    if (r.live.attempt !== null) parts.push(`attempt ${r.live.attempt}`);
    parts.push(r.live.phase);
    return `running (${parts.join(", ")})`;
  }
  if (r.status === "crashed") return `crashed — omk run resume ${r.runId}`;
  if (r.status === "interrupted") return `interrupted — omk run resume ${r.runId}`;
  return r.status;
}
