import { readRunJournal } from "../journal/run-journal.js";
import { type ProjectLocation, runLocation } from "../project/locate.js";
import type { GoalState } from "./state.js";

export interface Spend {
  runs: number;
  attempts: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface GoalBudget {
  tasks: ({ id: string } & Spend)[];
  total: Spend;
}

const zero = (): Spend => ({ runs: 0, attempts: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });

/** What a goal has spent so far, per task and in total: runs, attempts, tokens and cost, read from the runs' ledgers. */
export async function goalBudget(project: ProjectLocation, s: GoalState): Promise<GoalBudget> {
  const total = zero();
  const tasks: GoalBudget["tasks"] = [];
  for (const id of s.order) {
    const spend = zero();
    for (const runId of s.tasks.get(id)!.runIds) {
      const run = (await readRunJournal(runLocation(project, runId).dir).catch(() => null))?.state;
      spend.runs++;
      if (!run) continue;
      spend.attempts += run.attempts.length;
      spend.inputTokens += run.usage.inputTokens;
      spend.outputTokens += run.usage.outputTokens;
      spend.costUsd += run.usage.costUsd;
    }
    tasks.push({ id, ...spend });
    for (const k of Object.keys(total) as (keyof Spend)[]) total[k] += spend[k];
  }
  return { tasks, total };
}
