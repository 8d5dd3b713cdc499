import { OmkError } from "../core/errors.js";
import {
  decodeGoalEvents,
  type GoalEventInput,
  type GoalEventKind,
  type GoalJournalEvent,
  type GoalTypedEvent,
  goalEvent,
} from "../journal/goal-events.js";
import { redactValue } from "../security/redact.js";
import { readLedger } from "../store/ledger/read.js";
import type { VerifyResult } from "../store/ledger/verify.js";
import { Ledger } from "../store/ledger/writer.js";
import { applyGoalEvent, type GoalState, initialGoalState } from "./state.js";

/**
 * A goal's journal: its own hash-chained ledger (redacted like a run's), the decoded events and the
 * state projected from them. Lanes report concurrently; appends are queued through one chain so the
 * in-memory state and the file see the same order.
 */
export class GoalJournal {
  readonly #ledger: Ledger;
  readonly #events: GoalJournalEvent[];
  #state: GoalState | null;
  #tail: Promise<unknown> = Promise.resolve();
  readonly #observers = new Set<(e: GoalJournalEvent) => void>();

  private constructor(ledger: Ledger, events: GoalJournalEvent[], state: GoalState | null) {
    this.#ledger = ledger;
    this.#events = events;
    this.#state = state;
  }

  static async create(
    dir: string,
    goalId: string,
    started: GoalEventInput<"GoalStarted">,
  ): Promise<GoalJournal> {
    const ledger = await Ledger.open(dir, { runId: goalId, redact: redactValue });
    const j = new GoalJournal(ledger, [], null);
    try {
      await j.append("GoalStarted", started);
    } catch (err) {
      await ledger.close();
      throw err;
    }
    return j;
  }

  /** `lockWaitMs`: how long to wait for another omk driving the goal (default: the ledger's). */
  static async open(dir: string, goalId: string, lockWaitMs?: number): Promise<GoalJournal> {
    const ledger = await Ledger.open(dir, { runId: goalId, redact: redactValue, lockWaitMs });
    try {
      const read = await readGoalJournal(dir);
      assertGoalWritable(read, goalId);
      return new GoalJournal(ledger, read.events, read.state);
    } catch (err) {
      await ledger.close();
      throw err;
    }
  }

  get state(): GoalState {
    if (this.#state === null) throw new OmkError("INTERNAL", "the goal journal has no GoalStarted");
    return this.#state;
  }

  get events(): readonly GoalJournalEvent[] {
    return this.#events;
  }

  get dir(): string {
    return this.#ledger.dir;
  }

  subscribe(o: (e: GoalJournalEvent) => void): () => void {
    this.#observers.add(o);
    return () => this.#observers.delete(o);
  }

  append<K extends GoalEventKind>(kind: K, data: GoalEventInput<K>): Promise<GoalTypedEvent<K>> {
    const input = goalEvent(kind, data);
    const next = this.#tail.then(async () => {
      const written = await this.#ledger.append(input);
      const decoded = decodeGoalEvents([written]);
      const e = decoded.events[0];
      if (!e) throw new OmkError("INTERNAL", `a ${kind} event did not decode after redaction`);
      this.#events.push(e);
      if (e.kind === "GoalStarted") this.#state = initialGoalState(e);
      else if (this.#state !== null) applyGoalEvent(this.#state, e);
      for (const o of this.#observers) o(e);
      return e as GoalTypedEvent<K>;
    });
    this.#tail = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    await this.#tail;
    this.#observers.clear();
    await this.#ledger.close();
  }
}

export interface ReadGoalJournal {
  events: GoalJournalEvent[];
  unknown: { seq: number; kind: string }[];
  invalid: { seq: number; kind: string; message: string }[];
  verify: VerifyResult;
  state: GoalState | null;
  /** Hash of the last verified event and how many there are: the goal proof binds them. */
  headHash: string | null;
  count: number;
}

export async function readGoalJournal(dir: string): Promise<ReadGoalJournal> {
  const { events: raw, verify } = await readLedger(dir);
  const decoded = decodeGoalEvents(raw);
  let state: GoalState | null = null;
  const [first, ...rest] = decoded.events;
  if (first?.kind === "GoalStarted") {
    state = initialGoalState(first);
    for (const e of rest) applyGoalEvent(state, e);
  }
  return { ...decoded, verify, state, headHash: raw.at(-1)?.hash ?? null, count: raw.length };
}

export function assertGoalWritable(r: ReadGoalJournal, goalId: string): GoalState {
  const chain = r.verify.problems.find((p) => p.kind !== "torn_tail");
  const problem =
    !r.verify.ok && chain
      ? `its ledger fails verification at seq ${chain.seq ?? "?"} (${chain.kind})`
      : r.unknown.length > 0
        ? `its ledger was written by a newer omk (${r.unknown.map((u) => u.kind).join(", ")})`
        : r.invalid.length > 0
          ? `its ledger holds events this omk cannot decode: ${r.invalid[0]!.message}`
          : r.state === null
            ? "its ledger does not start with GoalStarted"
            : null;
  if (problem === null && r.state !== null) return r.state;
  throw new OmkError(
    r.unknown.length > 0 ? "LEDGER_UNSUPPORTED" : "LEDGER_CORRUPT",
    `goal ${goalId}: ${problem}`,
    {
      hint: "a goal ledger that does not verify cannot be acted on; start a new goal",
    },
  );
}
