import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { ProjectLocation } from "../project/locate.js";
import { runLocation } from "../project/locate.js";
import { writePrivateFile } from "../store/private-fs.js";
import type { GoalJournal } from "./journal.js";
import { readGoalJournal } from "./journal.js";

export const GOAL_PROOF_SCHEMA = "omk.goal-proof/v1";

async function fileSha(file: string): Promise<string | null> {
  try {
    return createHash("sha256")
      .update(await readFile(file))
      .digest("hex");
  } catch {
    return null;
  }
}

/**
 * The goal's proof.json: what was asked, which tasks were accepted and rejected (with the rule), each
 * task's run and the sha256 of that run's own proof, the integration head, the integration gates, and
 * the goal ledger's head hash and length. Its sha256 is chained into the goal ledger.
 */
export async function writeGoalProof(
  journal: GoalJournal,
  project: ProjectLocation,
  file: string,
  version: string,
) {
  const s = journal.state;
  const read = await readGoalJournal(journal.dir);
  const tasks = await Promise.all(
    s.order.map(async (id) => {
      const t = s.tasks.get(id)!;
      const runId = t.runIds.at(-1) ?? null;
      return {
        id,
        title: t.task.title,
        status: t.status,
        deps: t.task.deps,
        writeSet: t.task.writeSet,
        runId,
        runs: t.runIds,
        commit: t.commit,
        runProofSha256: runId === null ? null : await fileSha(runLocation(project, runId).proofFile),
        reason: t.reason,
      };
    }),
  );
  const proof = {
    schema: GOAL_PROOF_SCHEMA,
    goalId: s.goalId,
    goal: s.goal,
    root: s.root,
    base: s.base,
    baseBranch: s.baseBranch,
    integrationBranch: s.integrationBranch,
    head: s.head,
    status: s.finished?.status ?? null,
    reasons: s.finished?.reasons ?? [],
    lanes: s.lanes,
    tasks,
    rejected: s.rejected,
    integrated: s.integrated,
    gates: s.gates,
    ledger: { headHash: read.headHash, events: read.count },
    omkVersion: version,
  };
  const text = `${JSON.stringify(proof, null, 2)}\n`;
  await writePrivateFile(file, text);
  const sha256 = createHash("sha256").update(text).digest("hex");
  await journal.append("GoalProofWritten", { sha256 });
  return { proof, sha256 };
}
