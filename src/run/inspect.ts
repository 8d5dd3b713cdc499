import { requireRepoRoot } from "../git/index.js";
import { readLedger } from "../store/ledger/index.js";
import { listRunIds, locateProject, type ProjectLocation, resolveRunId, runLocation } from "./locate.js";
import { currentPhase, projectRun, type RunState } from "./state.js";

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
}

export function summarize(s: RunState, ledgerOk: boolean): RunSummary {
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
  };
}

/** `run list`: one summary per run, projected from each ledger alone. */
export async function listRuns(cwd: string): Promise<{ project: ProjectLocation; runs: RunSummary[] }> {
  const project = await locateProject(await requireRepoRoot(cwd));
  const runs: RunSummary[] = [];
  for (const id of await listRunIds(project)) {
    try {
      const { events, verify } = await readLedger(runLocation(project, id).dir);
      if (events.length > 0) runs.push(summarize(projectRun(events), verify.ok));
    } catch {
      // an unreadable run directory is reported by `run show`, not by the list
    }
  }
  return { project, runs };
}

/** `run show`: the projected state plus the ledger verdict. */
export async function showRun(cwd: string, id: string) {
  const project = await locateProject(await requireRepoRoot(cwd));
  const loc = await resolveRunId(project, id);
  const { events, verify } = await readLedger(loc.dir);
  const state = projectRun(events);
  return { loc, state, verify, summary: summarize(state, verify.ok) };
}
