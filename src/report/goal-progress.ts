import type { RunJournalEvent } from "../journal/events.js";
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
      return `task ${e.data.taskId}: run ${e.data.runId} ${e.data.status}`;
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

interface LaneView {
  taskId: string;
  phase: string;
  attempt: number;
  gates: string[];
}

/**
 * The lanes of a running goal as one status line, redrawn on a TTY: each lane's task, what its run is
 * doing (agent, attempt, gates), and how many tasks are integrated. A reader of events only.
 */
export class GoalLanesView {
  readonly #lanes = new Map<number, LaneView>();
  #tasks = 0;
  #integrated = 0;

  onGoalEvent(e: GoalJournalEvent): void {
    if (e.kind === "TaskAccepted") this.#tasks++;
    if (e.kind === "IntegrationMerged") this.#integrated++;
    if (e.kind === "TaskClaimed")
      this.#lanes.set(e.data.lane, { taskId: e.data.taskId, phase: "starting", attempt: 0, gates: [] });
    if (e.kind === "TaskFinished" || e.kind === "LeaseExpired") {
      for (const [n, l] of this.#lanes) if (l.taskId === e.data.taskId) this.#lanes.delete(n);
    }
  }

  onRunEvent(lane: number, e: RunJournalEvent): void {
    const l = this.#lanes.get(lane);
    if (!l) return;
    switch (e.kind) {
      case "AttemptStarted":
        l.attempt = e.data.attempt;
        l.gates = [];
        l.phase = "agent";
        break;
      case "GateStarted":
        l.phase = "gates";
        l.gates.push(`${e.data.name}…`);
        break;
      case "GateResult":
        l.gates = l.gates.map((g) =>
          g === `${e.data.gate.name}…` ? `${e.data.gate.name} ${e.data.gate.status}` : g,
        );
        break;
      case "RunFinished":
        l.phase = e.data.status;
        break;
      default:
        break;
    }
  }

  render(): string {
    const lanes = [...this.#lanes.entries()]
      .sort(([a], [b]) => a - b)
      .map(([n, l]) => {
        const what = l.phase === "gates" ? `gates ${l.gates.join(", ")}` : l.phase;
        return `[${n}] ${l.taskId} ${what}${l.attempt > 1 ? ` (attempt ${l.attempt})` : ""}`;
      });
    return `${this.#integrated}/${this.#tasks} integrated  ${lanes.join("  ") || "(no task running)"}`;
  }
}
