import { OmkError } from "../core/errors.js";
import type { DecodedEvents } from "../journal/events.js";
import { journalProblem, readRunJournal } from "../journal/run-journal.js";
import type { RunState } from "../journal/state.js";
import { readRunSummary } from "../journal/summary.js";
import { listRunIds, type ProjectLocation, resolveRunId, runLocation } from "../project/locate.js";
import { currentPhase } from "./resume-point.js";

export interface RunSummary {
  runId: string;
  status: string;
  phase: string;
  task: string;
  branch: string;
  attempts: number;
  startedAt: string;
  updatedAt: string;
  headCommit: string | null;
  landed: boolean;
  ledgerOk: boolean;
  /** Why this omk cannot fully read the run (e.g. written by a newer omk), or null. */
  problem: string | null;
}

function summarize(s: RunState, ledgerOk: boolean, problem: string | null = null): RunSummary {
  return {
    runId: s.runId,
    status: s.finished?.status ?? (s.interrupted ? "interrupted" : "running_or_crashed"),
    phase: currentPhase(s),
    task: s.task,
    branch: s.branch,
    attempts: s.attempts.length,
    startedAt: s.startedAt,
    updatedAt: s.lastTs,
    headCommit: s.finished?.headCommit ?? null,
    landed: s.landed !== null,
    ledgerOk,
    problem,
  };
}

/** `run list`: one summary per run, projected from each ledger alone. */
export async function listRuns(project: ProjectLocation): Promise<RunSummary[]> {
  const runs: RunSummary[] = [];
  for (const id of await listRunIds(project)) {
    try {
      // summary.json when it is current, else the ledger replayed (and the summary rebuilt).
      const sum = await readRunSummary(runLocation(project, id).dir);
      if (sum.state) runs.push(summarize(sum.state, sum.ledgerOk, sum.problem));
    } catch {
      // an unreadable run directory is reported by `run show`, not by the list
    }
  }
  return runs;
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
  return {
    loc,
    state: read.state,
    verify: read.verify,
    summary: summarize(read.state, read.verify.ok, problem),
    undecoded,
  };
}
