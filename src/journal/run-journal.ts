import { OmkError } from "../core/errors.js";
import { redactValue } from "../security/redact.js";
import type { LedgerEvent, LedgerHead } from "../store/ledger/format.js";
import { readLedger } from "../store/ledger/read.js";
import type { VerifyResult } from "../store/ledger/verify.js";
import { Ledger } from "../store/ledger/writer.js";
import {
  type DecodedEvents,
  decodeEvent,
  decodeEvents,
  type RunEventInput,
  type RunEventKind,
  type RunJournalEvent,
  runEvent,
  type TypedEvent,
} from "./events.js";
import { applyRunEvent, initialRunState, type RunState } from "./state.js";
import { writeRunSummary } from "./summary-file.js";

export type JournalObserver = (e: RunJournalEvent) => void;

/**
 * A run's journal: its ledger (always opened with the redactor, so nothing secret is hashed or
 * written), the decoded events so far, the state projected from them, and the observers that see each
 * event once it is durable. Writers append here and nowhere else, so the in-memory view, the progress
 * view and the file never disagree.
 */
export class RunJournal {
  readonly #ledger: Ledger;
  readonly #events: RunJournalEvent[];
  readonly #observers = new Set<JournalObserver>();
  #state: RunState | null;

  private constructor(ledger: Ledger, events: RunJournalEvent[], state: RunState | null) {
    this.#ledger = ledger;
    this.#events = events;
    this.#state = state;
  }

  /** A new run: creates the ledger and writes RunStarted. */
  static async create(
    dir: string,
    runId: string,
    started: RunEventInput<"RunStarted">,
    observers: readonly JournalObserver[] = [],
  ): Promise<RunJournal> {
    const ledger = await Ledger.open(dir, { runId, redact: redactValue });
    const journal = new RunJournal(ledger, [], null);
    for (const o of observers) journal.subscribe(o);
    try {
      await journal.append("RunStarted", started);
    } catch (err) {
      await ledger.close();
      throw err;
    }
    return journal;
  }

  /**
   * An existing run, for writing (resume, land, cleanup): takes the single-writer lock, then reads
   * and checks what is there. Refuses a ledger that does not verify or that this omk cannot read.
   */
  static async open(dir: string, runId: string): Promise<RunJournal> {
    const ledger = await Ledger.open(dir, { runId, redact: redactValue });
    try {
      const read = await readRunJournal(dir);
      assertWritable(read, runId);
      return new RunJournal(ledger, read.events, read.state);
    } catch (err) {
      await ledger.close();
      throw err;
    }
  }

  get runId(): string {
    return this.#ledger.runId;
  }

  get dir(): string {
    return this.#ledger.dir;
  }

  get events(): readonly RunJournalEvent[] {
    return this.#events;
  }

  get state(): RunState {
    if (this.#state === null) throw new OmkError("INTERNAL", "the journal has no RunStarted yet");
    return this.#state;
  }

  /** Sees every event appended from now on, after it is durable. Returns the unsubscribe. */
  subscribe(observer: JournalObserver): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  /** Tells one observer what the run is (its RunStarted), as if it had watched from the start. */
  introduce(observer: JournalObserver): void {
    const first = this.#events[0];
    if (first) observer(first);
  }

  async append<K extends RunEventKind>(kind: K, data: RunEventInput<K>): Promise<TypedEvent<K>> {
    const input = runEvent(kind, data);
    const written = await this.#ledger.append(input);
    const decoded = decodeEvent(written);
    if (!decoded.ok) {
      throw new OmkError("INTERNAL", `a ${kind} event did not decode after redaction: ${decoded.message}`);
    }
    const e = decoded.event;
    this.#events.push(e);
    if (e.kind === "RunStarted") this.#state = initialRunState(e);
    else if (this.#state !== null) applyRunEvent(this.#state, e);
    for (const o of this.#observers) o(e);
    return e as TypedEvent<K>;
  }

  /** Releases the ledger, then leaves summary.json for `run list` (best effort: it is only a cache). */
  async close(): Promise<void> {
    this.#observers.clear();
    await this.#ledger.close();
    if (this.#state !== null) await writeRunSummary(this.dir, this.#state).catch(() => {});
  }
}

export interface ReadRunJournal extends DecodedEvents {
  /** Every line of the verified prefix, as written. */
  raw: LedgerEvent[];
  verify: VerifyResult;
  /** events.head as read (null: none; undefined: unreadable). */
  head: LedgerHead | null | undefined;
  /** Null when the ledger has no RunStarted to project from. */
  state: RunState | null;
}

/** Read-only, no lock: a reader never blocks a writer. */
export async function readRunJournal(dir: string): Promise<ReadRunJournal> {
  const { events: raw, verify, head } = await readLedger(dir);
  const decoded = decodeEvents(raw);
  let state: RunState | null = null;
  const [first, ...rest] = decoded.events;
  if (first?.kind === "RunStarted") {
    state = initialRunState(first);
    for (const e of rest) applyRunEvent(state, e);
  }
  return { ...decoded, raw, verify, head, state };
}

/**
 * Why a run's ledger cannot be acted on by this omk, or null. A newer omk's unknown kinds are named
 * so the user knows to upgrade rather than suspect tampering.
 */
export function journalProblem(r: ReadRunJournal): string | null {
  const chain = r.verify.problems.find((p) => p.kind !== "torn_tail");
  if (!r.verify.ok && chain)
    return `its ledger fails verification at seq ${chain.seq ?? "?"} (${chain.kind})`;
  if (r.unknown.length > 0) {
    const kinds = [...new Set(r.unknown.map((u) => u.kind))].join(", ");
    return `its ledger was written by a newer omk (unknown event kinds: ${kinds})`;
  }
  if (r.invalid.length > 0) return `its ledger holds events this omk cannot decode: ${r.invalid[0]!.message}`;
  if (r.state === null) return "its ledger does not start with RunStarted";
  return null;
}

/** Throws the OmkError for `journalProblem`; returns the state when there is none. */
export function assertWritable(r: ReadRunJournal, runId: string): RunState {
  const problem = journalProblem(r);
  if (problem === null && r.state !== null) return r.state;
  const newer = r.unknown.length > 0 && r.verify.ok;
  throw new OmkError(
    newer ? "LEDGER_UNSUPPORTED" : "LEDGER_CORRUPT",
    `run ${runId}: ${problem ?? "unreadable ledger"}`,
    {
      hint: newer
        ? "upgrade omk to act on this run (`omk --version` shows this one)"
        : "a ledger that does not verify cannot be acted on; run `omk proof verify` to see what changed, or start a new run",
    },
  );
}
