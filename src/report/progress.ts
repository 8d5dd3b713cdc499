import type { LedgerEvent } from "../store/ledger/index.js";

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

  onEvent(e: LedgerEvent): void {
    const d = e.data;
    switch (e.kind) {
      case "RunStarted":
        this.maxAttempts = Number(d["maxAttempts"] ?? 0);
        this.say(
          `run ${String(d["runId"])} on ${String(d["branch"])} (agent ${String((d["agent"] as Record<string, unknown>)?.["name"])})`,
        );
        break;
      case "WorkspaceReady":
        this.say(
          d["setupOk"] === false ? `workspace setup failed: ${String(d["setupDetail"])}` : "workspace ready",
        );
        break;
      case "WorkspaceSetup":
        this.setPhase(`setup: ${String((d["step"] as Record<string, unknown>)?.["what"] ?? "")}`);
        break;
      case "AttemptStarted":
        this.attempt = Number(d["attempt"]);
        this.gates.clear();
        this.setPhase("agent working");
        this.say(
          `attempt ${this.attempt}/${this.maxAttempts}: agent working${d["feedbackFrom"] ? " (with gate feedback)" : ""}`,
        );
        break;
      case "ApprovalDecided":
        this.say(
          `  ${d["decision"] === "approve" ? "approved" : "rejected"} ${String(d["tool"])}: ${String(d["reason"])}`,
        );
        break;
      case "AgentFinished":
        this.say(`  agent ${String(d["status"])}: ${String(d["detail"])}`);
        break;
      case "DiffCaptured": {
        const files = Array.isArray(d["files"]) ? d["files"].length : 0;
        this.say(`  diff: ${files} file(s), +${String(d["added"])} −${String(d["deleted"])}`);
        break;
      }
      case "WriteSetViolation":
        this.say(`  blocked: ${String(d["path"])} (${String(d["reason"])})`);
        break;
      case "SecurityFinding":
        this.say(
          `  blocked: possible secret (${String(d["rule"])}) in ${String(d["path"])}:${String(d["line"])}`,
        );
        break;
      case "GateStarted":
        this.gates.set(String(d["name"]), "running");
        this.setPhase("gates");
        break;
      case "GateResult": {
        const g = d["gate"] as Record<string, unknown>;
        this.gates.set(String(g["name"]), String(g["status"]));
        this.say(
          `  gate ${String(g["name"])}: ${String(g["status"])} (${((Number(g["durationMs"]) || 0) / 1000).toFixed(1)}s)`,
        );
        break;
      }
      case "AttemptFinished":
        this.say(`attempt ${String(d["attempt"])}: ${String(d["outcome"]).replace("_", " ")}`);
        break;
      case "RunInterrupted":
        this.say(`interrupted during ${String(d["phase"])}`);
        break;
      case "RunResumed":
        this.say("resuming from the ledger");
        break;
      case "RunFinished":
        this.setPhase("done");
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
