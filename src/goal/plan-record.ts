import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { OmkError } from "../core/errors.js";
import { writePrivateFile } from "../store/private-fs.js";
import type { GoalJournal } from "./journal.js";
import type { PlanText } from "./planner.js";
import { parsePlanText, type ValidatedPlan, validateProposals } from "./proposals.js";
import type { GoalState } from "./state.js";

/** The plan document as received: PlanReceived names its sha256, so a resume can trust it again. */
const PLAN_FILE = "plan.json";

/**
 * Keeps the plan, announces it (PlanReceived with how many tasks were accepted and rejected), then
 * records each verdict. A crash between those events leaves fewer verdicts than announced;
 * `completePlan` finishes them from the kept document.
 */
export async function recordPlan(
  journal: GoalJournal,
  goalDir: string,
  plan: PlanText,
  source: "planner" | "file",
  protect: readonly string[],
): Promise<ValidatedPlan> {
  await writePrivateFile(join(goalDir, PLAN_FILE), plan.text);
  const validated = validateProposals(plan.tasks, protect);
  await journal.append("PlanReceived", {
    source,
    sha256: plan.sha256,
    bytes: Buffer.byteLength(plan.text, "utf8"),
    repaired: plan.repaired,
    accepted: validated.accepted.length,
    rejected: validated.rejected.length,
  });
  await appendMissing(journal, validated);
  return validated;
}

/** On resume: the verdicts a killed omk did not record, from the kept plan (checked against its sha256). */
export async function completePlan(
  journal: GoalJournal,
  goalDir: string,
  protect: readonly string[],
): Promise<void> {
  const announced = journal.state.plan;
  if (announced === null) return;
  const text = await readFile(join(goalDir, PLAN_FILE), "utf8").catch(() => null);
  if (text === null || createHash("sha256").update(text, "utf8").digest("hex") !== announced.sha256) {
    throw new OmkError(
      "LEDGER_CORRUPT",
      `goal ${journal.state.goalId}: its kept plan is missing or not the one received`,
      {
        hint: "start the goal again",
      },
    );
  }
  await appendMissing(journal, validateProposals(parsePlanText(text), protect));
}

async function appendMissing(journal: GoalJournal, v: ValidatedPlan): Promise<void> {
  for (const r of v.rejected.slice(journal.state.rejected.length))
    await journal.append("TaskRejected", { ...r });
  for (const [index, task] of v.accepted.entries()) {
    if (index >= journal.state.order.length)
      await journal.append("TaskAccepted", { index, task: { ...task } });
  }
}

/** Why the plan stops the goal before any work (nothing accepted, or rejections without --accept-partial), or null. */
export function planRefusal(s: GoalState): string[] | null {
  if (s.order.length > 0 && (s.rejected.length === 0 || s.acceptPartial)) return null;
  const reasons = s.rejected.map((r) => `task ${r.id} rejected (${r.rule}): ${r.detail}`);
  if (s.order.length === 0) reasons.push("no task of the plan was accepted");
  return reasons;
}
