import { failingGates } from "../gates/evidence.js";
import type { AttemptOutcome, RunStatus } from "../journal/events.js";
import type { RunState, TurnStatus } from "../journal/state.js";

/**
 * The final verdict, a pure function of the projected state. Order matters: infrastructure
 * failures and security blocks outrank gate results, so a leaked key is never "ready".
 */
export function decideStatus(s: RunState): { status: RunStatus; reasons: string[] } {
  if (s.setupFailed) return { status: "failed_infra", reasons: [`workspace setup failed: ${s.setupFailed}`] };
  const last = s.attempts[s.attempts.length - 1];
  if (!last) return { status: "failed_infra", reasons: ["no attempt was made"] };
  if (last.outcome === "agent_infra") {
    return { status: "failed_infra", reasons: [`agent could not run: ${last.agent?.detail ?? "unknown"}`] };
  }
  const reasons: string[] = [];
  for (const t of last.tampered) reasons.push(`the repository outside the worktree changed: ${t}`);
  for (const v of last.violations) reasons.push(`write to protected path ${v.path}: ${v.reason}`);
  for (const f of last.findings)
    reasons.push(
      f.rule === "unscannable"
        ? `${f.path} could not be scanned for secrets (a change omk cannot vouch for)${f.preview ? `: ${f.preview}` : ""}`
        : `possible secret (${f.rule}) in ${f.path}${f.line > 0 ? `:${f.line}` : ""}`,
    );
  if (reasons.length > 0) return { status: "blocked", reasons };
  if (!last.diff || last.diff.files.length === 0) {
    return { status: "not_ready", reasons: ["the agent made no changes"] };
  }
  if (last.setupFailed !== null) {
    return {
      status: "not_ready",
      reasons: [
        `workspace setup failed on the changed tree after ${last.n} of ${s.maxAttempts} attempt(s): ${last.setupFailed}`,
      ],
    };
  }
  if (last.gates.length === 0)
    return { status: "not_ready", reasons: ["no gates configured: nothing judged the change"] };
  const failing = failingGates(last.gates);
  if (failing.length > 0) {
    return {
      status: "not_ready",
      reasons: [
        `required gate(s) failing after ${last.n} of ${s.maxAttempts} attempt(s): ${failing.map((g) => `${g.name} (${g.status})`).join(", ")}`,
      ],
    };
  }
  // "ready" rests on a turn that was seen to end well, never on one nobody saw end.
  if (last.agent?.status !== "finished") {
    const how = last.agent ? `${last.agent.status}: ${last.agent.detail}` : "no recorded end";
    return { status: "not_ready", reasons: [`agent ended with ${how}`] };
  }
  return { status: "ready", reasons: [`all required gates passed on attempt ${last.n}`] };
}

/** What an evaluated attempt amounts to; security outranks everything, then "did anything change". */
export function decideAttemptOutcome(e: {
  blocked: boolean;
  /** The gate workspace's setup failed on the attempt's tree (e.g. a broken dependency change). */
  setupFailed: boolean;
  changedFiles: number;
  gatesPassed: boolean;
  agentStatus: TurnStatus | null;
}): Exclude<AttemptOutcome, "agent_infra"> {
  if (e.blocked) return "blocked";
  if (e.changedFiles === 0) return "no_changes";
  if (e.setupFailed) return "setup_failed";
  // A turn that timed out or crashed is the agent's failure, whatever its partial change did at the gates.
  if (e.agentStatus !== "finished") return "agent_failed";
  return e.gatesPassed ? "passed" : "gates_failed";
}
