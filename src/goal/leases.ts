import type { RunJournalEvent } from "../journal/events.js";
import type { GoalJournal } from "./journal.js";

/**
 * A lane's lease on its task while the agent works: every event of the task's run (agent output,
 * tool calls, status) is a heartbeat. An agent silent for longer than the lease
 * (OMK_GOAL_AGENT_LEASE_SECS) is taken to be hung: LeaseExpired is recorded, its run is interrupted
 * and the task becomes retryable. Gates and omk's own steps are not leased (they have timeouts of
 * their own). LeaseRenewed is recorded at most once per half lease, so the ledger shows the lane was
 * alive without growing with every heartbeat.
 */
export interface Lease {
  readonly signal: AbortSignal;
  /** The run's journal events: heartbeats, and when the agent's turn starts and ends. */
  onRunEvent(e: RunJournalEvent): void;
  expired: boolean;
  release(): void;
}

interface Held {
  taskId: string;
  lane: number;
  runId: string | null;
  armed: boolean;
  lastBeat: number;
  lastRenewal: number;
  controller: AbortController;
  lease: Lease;
}

export class Leases {
  readonly #journal: GoalJournal;
  readonly #leaseMs: number;
  readonly #now: () => number;
  readonly #held = new Set<Held>();
  #timer: NodeJS.Timeout | null = null;

  constructor(journal: GoalJournal, leaseMs: number, now: () => number = Date.now) {
    this.#journal = journal;
    this.#leaseMs = leaseMs;
    this.#now = now;
  }

  /** Checks every `everyMs` (a quarter lease, at most a second, by default). */
  start(everyMs = Math.min(1000, Math.max(50, this.#leaseMs / 4))): void {
    this.#timer = setInterval(() => void this.check(), everyMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  hold(taskId: string, lane: number, parent: AbortSignal): Lease {
    const controller = new AbortController();
    const h: Held = {
      taskId,
      lane,
      runId: null,
      armed: false,
      lastBeat: this.#now(),
      lastRenewal: this.#now(),
      controller,
      lease: null as unknown as Lease,
    };
    const leases = this;
    h.lease = {
      signal: AbortSignal.any([parent, controller.signal]),
      expired: false,
      onRunEvent(e) {
        leases.#beat(h, e);
      },
      release() {
        leases.#held.delete(h);
      },
    };
    this.#held.add(h);
    return h.lease;
  }

  #beat(h: Held, e: RunJournalEvent): void {
    if (e.kind === "RunStarted") h.runId = e.data.runId;
    if (e.kind === "AgentStarted") h.armed = true;
    if (e.kind === "AgentFinished" || e.kind === "AgentStopped" || e.kind === "RunInterrupted")
      h.armed = false;
    const now = this.#now();
    h.lastBeat = now;
    if (h.armed && h.runId !== null && now - h.lastRenewal >= this.#leaseMs / 2) {
      h.lastRenewal = now;
      void this.#journal
        .append("LeaseRenewed", { taskId: h.taskId, runId: h.runId, lane: h.lane })
        .catch(() => {});
    }
  }

  /** Expires every armed lease whose agent has been silent for longer than the lease. */
  async check(): Promise<void> {
    const now = this.#now();
    for (const h of this.#held) {
      if (!h.armed || h.lease.expired || now - h.lastBeat <= this.#leaseMs) continue;
      h.lease.expired = true;
      await this.#journal
        .append("LeaseExpired", {
          taskId: h.taskId,
          runId: h.runId ?? "",
          lane: h.lane,
          silentMs: now - h.lastBeat,
        })
        .catch(() => {});
      h.controller.abort();
    }
  }
}
