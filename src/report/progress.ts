import type { RunJournalEvent } from "../journal/events.js";

/**
 * Live run progress, a reader of ledger events only. On a TTY it redraws one status line
 * (phase, attempt, gates, elapsed); otherwise it prints one plain line per phase change.
 */
export interface ProgressSink {
  line(text: string): void;
  /** Overwrite the current status line (TTY only). */
  status?: ((text: string) => void) | undefined;
}

export class RunProgress {
  private phase = "starting";
  private attempt = 0;
  private maxAttempts = 0;
  private gates = new Map<string, string>();
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private paused = false;

  constructor(private readonly sink: ProgressSink) {
    if (sink.status) {
      this.timer = setInterval(() => this.redraw(), 250);
      this.timer.unref();
    }
  }

  onEvent(e: RunJournalEvent): void {
    switch (e.kind) {
      case "RunStarted":
        this.maxAttempts = e.data.maxAttempts;
        this.say(`run ${e.data.runId} on ${e.data.branch} (agent ${e.data.agent.name})`);
        break;
      case "WorkspaceReady":
        this.say(e.data.setupOk ? "workspace ready" : `workspace setup failed: ${e.data.setupDetail}`);
        break;
      case "WorkspaceSetup":
        this.setPhase(`setup: ${e.data.step.what}`);
        break;
      case "AttemptStarted":
        this.attempt = e.data.attempt;
        this.gates.clear();
        this.setPhase("agent working");
        this.say(
          `attempt ${this.attempt}/${this.maxAttempts}: agent working${e.data.feedbackFrom ? " (with gate feedback)" : ""}`,
        );
        break;
      case "ApprovalDecided":
        this.say(
          `  ${e.data.decision === "approve" ? "approved" : "rejected"} ${e.data.tool}: ${e.data.reason}`,
        );
        break;
      case "AgentFinished":
        this.say(`  agent ${e.data.status}: ${e.data.detail}`);
        break;
      case "DiffCaptured":
        this.say(`  diff: ${e.data.files.length} file(s), +${e.data.added} −${e.data.deleted}`);
        break;
      case "OutsideChanged":
        for (const c of e.data.changes)
          this.say(`  outside the worktree, not by the confined agent (noted, not blocking): ${c}`);
        break;
      case "WriteSetViolation":
        this.say(`  blocked: ${e.data.path} (${e.data.reason})`);
        break;
      case "SecurityFinding":
        this.say(
          e.data.rule === "unscannable"
            ? `  blocked: ${e.data.path} could not be scanned: ${e.data.preview}`
            : `  blocked: possible secret (${e.data.rule}) in ${e.data.path}${e.data.line > 0 ? `:${e.data.line}` : ""}`,
        );
        break;
      case "GateStarted":
        this.gates.set(e.data.name, "running");
        this.setPhase("gates");
        break;
      case "GateResult": {
        const g = e.data.gate;
        this.gates.set(g.name, g.status);
        this.say(`  gate ${g.name}: ${g.status} (${(g.durationMs / 1000).toFixed(1)}s)`);
        break;
      }
      case "AttemptFinished":
        this.say(`attempt ${e.data.attempt}: ${e.data.outcome.replace("_", " ")}`);
        break;
      case "RunInterrupted":
        this.say(`interrupted during ${e.data.phase}`);
        break;
      case "RunResumed":
        this.say("resuming from the ledger");
        break;
      case "RunReopened":
        this.maxAttempts = e.data.maxAttempts;
        if (e.data.acceptedOutside) {
          const { attempt, changes } = e.data.acceptedOutside;
          this.say(`accepted as yours (recorded in the ledger), outside the worktree:`);
          for (const c of changes) this.say(`  ${c}`);
          this.say(`attempt ${attempt}: judged again from the repository as it is now`);
          if (e.data.maxAttempts === e.data.previousMaxAttempts) break;
        }
        this.say(
          `reopened: ${e.data.maxAttempts} attempts in all${e.data.agent ? `, agent ${e.data.agent.name}` : ""}${e.data.rebuildWorkspace ? ", worktree rebuilt" : ""}`,
        );
        break;
      case "RunFinished":
        this.setPhase("done");
        break;
      case "ProofWritten":
        this.setPhase("proof written");
        break;
    }
  }

  /** While a question is on screen the status line must not redraw over it. */
  pause(): void {
    this.paused = true;
    this.sink.status?.("");
  }

  resume(): void {
    this.paused = false;
    this.redraw();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sink.status?.("");
  }

  private setPhase(p: string): void {
    this.phase = p;
    this.redraw();
  }

  private say(text: string): void {
    this.sink.status?.("");
    this.sink.line(text);
    this.redraw();
  }

  private redraw(): void {
    if (!this.sink.status || this.paused) return;
    const secs = Math.round((Date.now() - this.started) / 1000);
    const gates = [...this.gates].map(([n, s]) => `${n}:${s}`).join(" ");
    this.sink.status(
      `⏳ ${this.phase} · attempt ${this.attempt}/${this.maxAttempts}${gates ? ` · ${gates}` : ""} · ${secs}s`,
    );
  }
}
