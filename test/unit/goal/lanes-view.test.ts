import { describe, expect, it } from "vitest";
import type { RunJournalEvent } from "../../../src/journal/events.js";
import type { GoalJournalEvent } from "../../../src/journal/goal-events.js";
import { GoalLanesView, goalEventLine } from "../../../src/report/goal-progress.js";

const g = (kind: string, data: Record<string, unknown>) => ({ kind, data }) as unknown as GoalJournalEvent;
const r = (kind: string, data: Record<string, unknown>) => ({ kind, data }) as unknown as RunJournalEvent;

describe("GoalLanesView", () => {
  it("shows each lane's task and what its run does, and how many tasks are in", () => {
    const v = new GoalLanesView();
    for (const id of ["a", "b", "c"]) v.onGoalEvent(g("TaskAccepted", { task: { id } }));
    expect(v.render()).toBe("0/3 integrated  (no task running)");
    v.onGoalEvent(g("TaskClaimed", { taskId: "a", lane: 0 }));
    v.onGoalEvent(g("TaskClaimed", { taskId: "b", lane: 1 }));
    v.onRunEvent(0, r("AttemptStarted", { attempt: 1 }));
    v.onRunEvent(1, r("AttemptStarted", { attempt: 2 }));
    v.onRunEvent(1, r("GateStarted", { name: "test" }));
    expect(v.render()).toBe("0/3 integrated  [0] a agent  [1] b gates test… (attempt 2)");
    v.onRunEvent(1, r("GateResult", { gate: { name: "test", status: "pass" } }));
    expect(v.render()).toContain("[1] b gates test pass");
    v.onGoalEvent(g("TaskFinished", { taskId: "a" }));
    v.onGoalEvent(g("IntegrationMerged", { taskId: "a", head: "f".repeat(40), fastForward: true }));
    expect(v.render()).toBe("1/3 integrated  [1] b gates test pass (attempt 2)");
  });

  it("has a progress line for what a person wants to know, and none for the rest", () => {
    expect(goalEventLine(g("TaskRejected", { id: '"x"', rule: "cycle", detail: "d" }))).toBe(
      '  rejected "x" (cycle): d',
    );
    expect(goalEventLine(g("LeaseRenewed", { taskId: "a" }))).toBeNull();
  });
});
