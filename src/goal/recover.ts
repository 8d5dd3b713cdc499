import { readRunJournal } from "../journal/run-journal.js";
import { gateWorkspaceDirs } from "../project/gate-workspace.js";
import { laneWorktreeDirs } from "../project/lane-pool.js";
import { runLocation } from "../project/locate.js";
import type { Project } from "../project/open.js";
import { reapOrphans } from "../run/children.js";
import { resumeRun } from "../run/start.js";
import { recoverIntegration } from "./integrate.js";
import type { GoalJournal } from "./journal.js";
import type { GoalLocation } from "./locate.js";

/**
 * What a killed omk left of a goal, put straight before the loop drives again: the processes its lane
 * runs left behind are stopped (they would write into a lane about to be reset); a run that finished
 * before the crash counts as finished (its proof written if the crash came first), so it is not run
 * twice; a merge that reached the integration branch but not the ledger is recorded, never repeated.
 * A run that had not finished is abandoned: its task runs again from the integration head.
 */
export async function recoverGoal(
  journal: GoalJournal,
  o: {
    project: Project;
    loc: GoalLocation;
    cwd: string;
    parentEnv: Readonly<Record<string, string | undefined>>;
    signal: AbortSignal;
  },
): Promise<void> {
  const s = journal.state;
  const gateDirs = await gateWorkspaceDirs(o.project.root);
  const laneDirs = await laneWorktreeDirs(o.project.root);
  for (const id of s.order) {
    const t = s.tasks.get(id)!;
    const runId = t.runIds.at(-1);
    if (t.status !== "running" || runId === undefined) continue;
    const runDir = runLocation(o.project, runId).dir;
    const read = await readRunJournal(runDir).catch(() => null);
    const run = read?.state ?? null;
    // The lane the run worked in (any lane when its ledger cannot be read): only groups the run
    // recorded are stopped, and only while a member works in one of these dirs.
    const dirs = run === null ? laneDirs : [run.worktree];
    await reapOrphans(runDir, [...dirs, ...gateDirs]).catch(() => []);
    if (run?.finished == null) continue;
    const done = run.proofWritten
      ? run
      : (await resumeRun({ cwd: o.cwd, parentEnv: o.parentEnv, signal: o.signal, ask: null, run: runId }))
          .state;
    const fin = done.finished!;
    await journal.append("TaskFinished", {
      taskId: id,
      runId,
      status: fin.status,
      commit: fin.status === "ready" ? fin.headCommit : null,
      reasons: fin.reasons,
    });
  }
  await recoverIntegration(journal, o.project.root);
}
