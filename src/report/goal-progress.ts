import type { GoalJournalEvent } from "../journal/goal-events.js";

/** One progress line per goal event worth a line on stderr (null: nothing to show). */
export function goalEventLine(e: GoalJournalEvent): string | null {
  switch (e.kind) {
    case "PlanReceived":
      return `plan received from the ${e.data.source}${e.data.repaired ? " (after one repair round)" : ""}`;
    case "TaskAccepted":
      return `  task ${e.data.task.id}: ${e.data.task.title}`;
    case "TaskRejected":
      return `  rejected ${e.data.id} (${e.data.rule}): ${e.data.detail}`;
    case "TaskRunStarted":
      return `lane ${e.data.lane}: ${e.data.taskId} → run ${e.data.runId}`;
    case "LeaseExpired":
      return `  lease of ${e.data.taskId} expired: its agent was silent for ${Math.round(e.data.silentMs / 1000)}s; run ${e.data.runId} interrupted`;
    case "TaskRequeued":
      return `  ${e.data.taskId} will run again (${e.data.reason})`;
    case "TaskFinished":
      return `lane task ${e.data.taskId}: run ${e.data.status}`;
    case "WriteSetViolation":
      return `  ${e.data.taskId} changed files outside its write set: ${e.data.paths.join(", ")}`;
    case "IntegrationConflict":
      return `  ${e.data.taskId} conflicts with the integration head in ${e.data.conflicts.join(", ")}${e.data.retry ? ": re-running it on the new head" : ""}`;
    case "IntegrationMerged":
      return `integrated ${e.data.taskId} → ${e.data.head.slice(0, 12)}${e.data.fastForward ? " (fast-forward)" : ""}${e.data.recovered ? " (found after a crash)" : ""}`;
    case "TaskBlocked":
      return `  blocked ${e.data.taskId}: ${e.data.reason}${e.data.dropped.length ? ` (and ${e.data.dropped.join(", ")})` : ""}`;
    case "IntegrationGates":
      return `integration gates: ${e.data.ok ? "pass" : "fail"} (${e.data.gates.map((g) => `${g.name} ${g.status}`).join(", ") || "setup failed"})`;
    case "GoalResumed":
      return "goal resumed";
    default:
      return null;
  }
}
