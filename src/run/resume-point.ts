import type { RunState } from "../journal/state.js";

/** Where a run (fresh or resumed) picks up, derived from the projection alone. */
export type ResumePoint =
  | { kind: "done" }
  | { kind: "workspace" }
  | { kind: "agent"; attempt: number; feedbackFrom: number | null }
  | { kind: "evaluate"; attempt: number }
  | { kind: "finalize" };

export type RunPhase = ResumePoint["kind"];

/** Outcomes that another attempt, told what went wrong, may fix. */
const RETRYABLE = new Set(["gates_failed", "agent_failed", "setup_failed"]);

export function resumePoint(s: RunState): ResumePoint {
  if (s.finished) return { kind: "done" };
  if (!s.workspaceReady) return { kind: "workspace" };
  if (s.setupFailed) return { kind: "finalize" };
  const last = s.attempts[s.attempts.length - 1];
  if (!last) return { kind: "agent", attempt: 1, feedbackFrom: null };
  if (last.outcome === null) {
    // A turn that never ended, or was cancelled (Ctrl-C), is played again: an interrupt is not a failed attempt.
    return last.agent === null || last.agent.status === "cancelled"
      ? { kind: "agent", attempt: last.n, feedbackFrom: last.n > 1 ? last.n - 1 : null }
      : { kind: "evaluate", attempt: last.n };
  }
  // Reopened with a bigger budget (`run resume --max-attempts`): the next attempt is played whatever
  // ended the last one, since the person asked for it (perhaps with another agent).
  const reopened = s.reopenedAfter === last.n;
  if ((reopened || RETRYABLE.has(last.outcome)) && last.n < s.maxAttempts) {
    return { kind: "agent", attempt: last.n + 1, feedbackFrom: last.n };
  }
  return { kind: "finalize" };
}

/** Every resume point is named after the phase it resumes. */
export function currentPhase(s: RunState): RunPhase {
  return resumePoint(s).kind;
}
