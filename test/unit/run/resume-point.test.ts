import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AttemptOutcome } from "../../../src/journal/events.js";
import type { AttemptState, RunState, TurnStatus } from "../../../src/journal/state.js";
import { currentPhase, type ResumePoint, resumePoint } from "../../../src/run/resume-point.js";
import { arbRunState, attemptState, FINISHED, gateRecord, runState } from "../journal/fixture.js";

const failed = (n: number) =>
  attemptState(n, { outcome: "gates_failed", gates: [gateRecord("test", "fail")] });
/** Attempt n's agent turn, outcome not yet written (null agent: the turn never ended). */
const open = (n: number, agent: TurnStatus | null) =>
  attemptState(n, {
    outcome: null,
    agent: agent === null ? null : { status: agent, detail: agent },
    diff: null,
    gates: [],
  });
const ended = (n: number, outcome: AttemptOutcome) => attemptState(n, { outcome });

describe("resumePoint", () => {
  const cases: [string, RunState, ResumePoint][] = [
    ["a finished run is done", runState([ended(1, "passed")], { finished: FINISHED }), { kind: "done" }],
    [
      "done outranks a workspace that was never ready",
      runState([], { workspaceReady: false, finished: FINISHED }),
      { kind: "done" },
    ],
    ["a fresh run sets up its workspace", runState([], { workspaceReady: false }), { kind: "workspace" }],
    [
      "a failed setup goes straight to finalize",
      runState([], { setupFailed: "npm ci exited 1" }),
      { kind: "finalize" },
    ],
    ["a ready workspace starts attempt 1", runState([]), { kind: "agent", attempt: 1, feedbackFrom: null }],
    [
      "a first turn that never ended is played again",
      runState([open(1, null)]),
      { kind: "agent", attempt: 1, feedbackFrom: null },
    ],
    [
      "a later turn that never ended is played again with the previous attempt's feedback",
      runState([failed(1), open(2, null)]),
      { kind: "agent", attempt: 2, feedbackFrom: 1 },
    ],
    [
      "a cancelled first turn replays attempt 1",
      runState([open(1, "cancelled")]),
      { kind: "agent", attempt: 1, feedbackFrom: null },
    ],
    [
      "a cancelled third turn replays attempt 3 with feedback from 2",
      runState([failed(1), failed(2), open(3, "cancelled")]),
      { kind: "agent", attempt: 3, feedbackFrom: 2 },
    ],
    ["a finished turn not yet evaluated", runState([open(1, "finished")]), { kind: "evaluate", attempt: 1 }],
    [
      "a failed turn is evaluated, not replayed",
      runState([failed(1), open(2, "failed")]),
      { kind: "evaluate", attempt: 2 },
    ],
    [
      "a turn that hit its step limit is evaluated",
      runState([open(1, "max_steps_reached")]),
      { kind: "evaluate", attempt: 1 },
    ],
    [
      "gates_failed within budget starts the next attempt",
      runState([failed(1)]),
      { kind: "agent", attempt: 2, feedbackFrom: 1 },
    ],
    [
      "gates_failed on the second of three",
      runState([failed(1), failed(2)]),
      { kind: "agent", attempt: 3, feedbackFrom: 2 },
    ],
    [
      "gates_failed on the last attempt finalizes",
      runState([failed(1), failed(2), failed(3)]),
      { kind: "finalize" },
    ],
    [
      "gates_failed with a budget of one finalizes",
      runState([failed(1)], { maxAttempts: 1 }),
      { kind: "finalize" },
    ],
    ...(["passed", "blocked", "no_changes", "agent_infra"] as const).map(
      (outcome): [string, RunState, ResumePoint] => [
        `${outcome} finalizes with budget left`,
        runState([ended(1, outcome)]),
        { kind: "finalize" },
      ],
    ),
  ];

  it.each(cases)("%s", (_name, state, point) => {
    expect(resumePoint(state)).toEqual(point);
    expect(currentPhase(state)).toBe(point.kind);
  });

  it("a run reopened with a bigger budget plays the next attempt whatever ended the last one", () => {
    for (const outcome of ["gates_failed", "no_changes", "agent_failed", "setup_failed"] as const) {
      const s = runState([ended(1, "gates_failed"), ended(2, outcome)], { maxAttempts: 4, reopenedAfter: 2 });
      expect(resumePoint(s), outcome).toEqual({ kind: "agent", attempt: 3, feedbackFrom: 2 });
    }
    // Once that attempt ended, the usual rules hold again.
    const later = runState([ended(1, "gates_failed"), ended(2, "no_changes"), ended(3, "no_changes")], {
      maxAttempts: 4,
      reopenedAfter: 2,
    });
    expect(resumePoint(later)).toEqual({ kind: "finalize" });
    // Never past the budget.
    expect(resumePoint(runState([ended(1, "no_changes")], { maxAttempts: 1, reopenedAfter: 1 }))).toEqual({
      kind: "finalize",
    });
  });

  it("judges the last attempt only", () => {
    const attempts: AttemptState[] = [ended(1, "blocked"), failed(2)];
    expect(resumePoint(runState(attempts))).toEqual({ kind: "agent", attempt: 3, feedbackFrom: 2 });
  });

  it("never starts an agent turn past the budget, and always asks feedback from the attempt before", () => {
    fc.assert(
      fc.property(arbRunState, (s) => {
        const point = resumePoint(s);
        expect(currentPhase(s)).toBe(point.kind);
        if (point.kind === "agent") {
          expect(point.attempt).toBeGreaterThanOrEqual(1);
          expect(point.attempt).toBeLessThanOrEqual(s.maxAttempts);
          expect(point.feedbackFrom).toBe(point.attempt > 1 ? point.attempt - 1 : null);
        }
        if (point.kind === "evaluate") expect(point.attempt).toBe(s.attempts.at(-1)?.n);
      }),
      { numRuns: 2000 },
    );
  });
});
