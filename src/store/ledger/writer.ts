import { fsyncSync, writeSync } from "node:fs";
import { type FileHandle, open, readdir, rm } from "node:fs/promises";
import * as path from "node:path";
import { type Clock, systemClock } from "../../core/clock.js";
import { OmkError } from "../../core/errors.js";
import { newId } from "../../core/ids.js";
import { InPlaceRecord } from "../in-place-record.js";
import { ensurePrivateDir, PRIVATE_FILE_MODE, writePrivateFile } from "../private-fs.js";
import {
  type ChainTip,
  chainEvents,
  EVENTS_FILE,
  type EventFields,
  encodeEvents,
  GENESIS_HASH,
  HEAD_FILE,
  HEAD_RECORD_BYTES,
  headJson,
  type LedgerEvent,
  serializeHead,
  toPlainData,
} from "./format.js";
import { acquireLedgerLock, type LedgerLock } from "./lock.js";
import { scanLedgerDir } from "./read.js";
import { quarantineTornTail } from "./recover.js";

export interface AppendInput {
  kind: string;
  /** Default "omk". */
  actor?: string | undefined;
  data?: Record<string, unknown> | undefined;
}

export type Redactor = (value: Record<string, unknown>) => Record<string, unknown>;

export interface LedgerOpenOptions {
  runId: string;
  clock?: Clock | undefined;
  /** Applied to every event's data before it is hashed or written. Default: identity. */
  redact?: Redactor | undefined;
  /** How long to wait for a live writer to release the lock. Default 3000 ms. */
  lockWaitMs?: number | undefined;
}

export interface LedgerStats {
  /** fsyncs of events.jsonl: one per committed batch. */
  fsyncs: number;
  batches: number;
  events: number;
}

export interface LedgerRecovery {
  /** Where open() moved a torn last line, or null when there was none. */
  tornTailPath: string | null;
  tornBytes: number;
}

interface Pending {
  fields: Omit<EventFields, "id" | "ts" | "run">[];
  resolve: (events: LedgerEvent[]) => void;
  reject: (err: unknown) => void;
}

const DEFAULT_LOCK_WAIT_MS = 3_000;

/** Makes a new directory entry durable (Linux allows fsync on a directory; elsewhere it is best effort). */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r").catch(() => null);
  if (handle === null) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

/**
 * The single writer of one ledger. Appends are durable (fsync) before they resolve; calls that arrive
 * while a batch is being written are committed together in the next single write + fsync.
 */
export class Ledger {
  readonly dir: string;
  readonly runId: string;
  readonly stats: LedgerStats = { fsyncs: 0, batches: 0, events: 0 };
  readonly recovery: LedgerRecovery;

  readonly #handle: FileHandle;
  readonly #lock: LedgerLock;
  /** events.head, overwritten in place after each batch. */
  readonly #head: InPlaceRecord;
  readonly #clock: Clock;
  readonly #redact: Redactor;
  #tip: ChainTip;
  #size: number;
  #queue: Pending[] = [];
  #running = false;
  #drained: Promise<void> = Promise.resolve();
  #closed = false;
  #failed: OmkError | null = null;

  private constructor(init: {
    dir: string;
    runId: string;
    handle: FileHandle;
    lock: LedgerLock;
    head: InPlaceRecord;
    clock: Clock;
    redact: Redactor;
    tip: ChainTip;
    size: number;
    recovery: LedgerRecovery;
  }) {
    this.dir = init.dir;
    this.runId = init.runId;
    this.#handle = init.handle;
    this.#lock = init.lock;
    this.#head = init.head;
    this.#clock = init.clock;
    this.#redact = init.redact;
    this.#tip = init.tip;
    this.#size = init.size;
    this.recovery = init.recovery;
  }

  /**
   * Opens (creating dir 0700 / files 0600) the ledger at dir/events.jsonl, takes the single-writer lock,
   * quarantines a torn last line and continues the chain from the last good event. Refuses a ledger that
   * does not verify (LEDGER_CORRUPT): appending would bury the evidence.
   */
  static async open(dir: string, opts: LedgerOpenOptions): Promise<Ledger> {
    if (opts.runId === "") throw new OmkError("INTERNAL", "Ledger.open needs a run id");
    const clock = opts.clock ?? systemClock;
    await ensurePrivateDir(dir);
    const lock = await acquireLedgerLock(dir, { waitMs: opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS });
    let handle: FileHandle | null = null;
    let head: InPlaceRecord | null = null;
    try {
      const eventsPath = path.join(dir, EVENTS_FILE);
      handle = await open(eventsPath, "a", PRIVATE_FILE_MODE);
      await handle.chmod(PRIVATE_FILE_MODE);
      const { bytes, scan } = await scanLedgerDir(dir);
      const problem = scan.verify.problems.find((p) => p.kind !== "torn_tail");
      if (problem !== undefined) {
        throw new OmkError("LEDGER_CORRUPT", `Ledger ${eventsPath} does not verify: ${problem.message}`, {
          hint: "The run's record was altered or damaged; keep it as evidence. omk will not append to it.",
          details: { dir, problem },
        });
      }
      let recovery: LedgerRecovery = { tornTailPath: null, tornBytes: 0 };
      if (scan.completeBytes < bytes.length) {
        const tornTailPath = await quarantineTornTail(eventsPath, bytes, scan.completeBytes, clock.now());
        recovery = { tornTailPath, tornBytes: bytes.length - scan.completeBytes };
      }
      const last = scan.events.at(-1);
      const tip = last === undefined ? { seq: 0, hash: GENESIS_HASH } : { seq: last.seq, hash: last.hash };
      // Always (re)write the head: it may lag one batch behind after a crash, and a new ledger needs one.
      // Replaced atomically here (whatever was there, a symlink included, is gone), then held open.
      const headPath = path.join(dir, HEAD_FILE);
      await writePrivateFile(headPath, serializeHead({ ...tip, size: scan.completeBytes }));
      head = InPlaceRecord.open(headPath, HEAD_RECORD_BYTES);
      // Earlier versions wrote the head through a temp file, which a kill could leave; we hold the lock.
      for (const name of await readdir(dir)) {
        if (name.startsWith(`${HEAD_FILE}.tmp-`)) await rm(path.join(dir, name), { force: true });
      }
      await syncDir(dir);
      return new Ledger({
        dir,
        runId: opts.runId,
        handle,
        lock,
        head,
        clock,
        redact: opts.redact ?? ((v) => v),
        tip,
        size: scan.completeBytes,
        recovery,
      });
    } catch (err) {
      await handle?.close().catch(() => undefined);
      head?.close();
      await lock.release().catch(() => undefined);
      throw err;
    }
  }

  /** The last committed event (seq 0 and the zero hash for an empty ledger). */
  get head(): { seq: number; hash: string } {
    return { ...this.#tip };
  }

  async append(input: AppendInput): Promise<LedgerEvent> {
    const [event] = await this.appendMany([input]);
    return event!;
  }

  /** Appends all inputs in one batch: contiguous seqs, one write, one fsync. */
  appendMany(inputs: readonly AppendInput[]): Promise<LedgerEvent[]> {
    if (this.#closed) return Promise.reject(new OmkError("INTERNAL", `Ledger in ${this.dir} is closed`));
    if (this.#failed !== null) return Promise.reject(this.#failed);
    let fields: Pending["fields"];
    try {
      fields = inputs.map((input) => this.#prepare(input));
    } catch (err) {
      return Promise.reject(err);
    }
    if (fields.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.#queue.push({ fields, resolve, reject });
      this.#kick();
    });
  }

  /** Waits for queued appends, then releases the file and the lock. Later appends reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#drained;
    await this.#handle.close().catch(() => undefined);
    this.#head.close();
    await this.#lock.release();
  }

  #prepare(input: AppendInput): Pending["fields"][number] {
    if (typeof input.kind !== "string" || input.kind === "") {
      throw new OmkError("INTERNAL", "Ledger events need a non-empty kind");
    }
    const actor = input.actor ?? "omk";
    if (typeof actor !== "string" || actor === "") {
      throw new OmkError("INTERNAL", `Ledger event ${input.kind} has an empty actor`);
    }
    // Redact the plain JSON form; the redactor maps plain JSON to plain JSON, so what is hashed is
    // exactly what a reader parses back.
    const data = this.#redact(toPlainData(input.data ?? {}));
    return { kind: input.kind, actor, data };
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = true;
    this.#drained = this.#drain();
  }

  async #drain(): Promise<void> {
    // Let the callers of this tick queue up first, so a burst of appends shares the first fsync.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) await this.#commit(this.#queue.splice(0));
    } finally {
      this.#running = false;
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    if (this.#failed !== null) {
      for (const p of batch) p.reject(this.#failed);
      return;
    }
    let events: LedgerEvent[];
    let size: number;
    try {
      ({ events, size } = await this.#write(batch));
    } catch (err) {
      // The file may now end in a partial batch; only a reopen (torn-tail recovery) can continue safely.
      this.#failed =
        err instanceof OmkError
          ? err
          : new OmkError("IO_FAILED", `Cannot append to ledger in ${this.dir}`, { cause: err });
      for (const p of batch) p.reject(this.#failed);
      return;
    }
    const last = events.at(-1)!;
    this.#tip = { seq: last.seq, hash: last.hash };
    this.#size = size;
    this.stats.batches += 1;
    this.stats.events += events.length;
    let offset = 0;
    for (const p of batch) {
      p.resolve(events.slice(offset, offset + p.fields.length));
      offset += p.fields.length;
    }
  }

  /** One write + one fsync for the whole batch, then the head. */
  async #write(batch: Pending[]): Promise<{ events: LedgerEvent[]; size: number }> {
    const lost = this.#lock.compromised;
    if (lost !== null) {
      throw new OmkError("LEDGER_LOCKED", `Lost the ledger lock in ${this.dir}: ${lost.message}`);
    }
    const now = this.#clock.now();
    const ts = now.toISOString();
    const fields: EventFields[] = batch.flatMap((p) =>
      p.fields.map((f) => ({ id: newId("evt", now), ts, run: this.runId, ...f })),
    );
    const events = chainEvents(this.#tip, fields);
    const bytes = Buffer.from(encodeEvents(events), "utf8");
    const last = events.at(-1)!;
    const size = this.#size + bytes.length;
    // Synchronous syscalls: a batch is one append, one fsync and the head's one write. As thread-pool
    // round trips they cost a run's main thread ~4 ms per batch on the benchmark VM, where the fsyncs
    // themselves take ~0.2 ms; a run appends a few dozen batches, one after the other.
    writeAllSync(this.#handle.fd, bytes);
    fsyncSync(this.#handle.fd);
    this.stats.fsyncs += 1;
    // Acknowledge only once the head covers the batch, so truncating acknowledged events is detectable.
    // Not flushed: written after the batch's fsync, whatever of it reaches the disk covers durable
    // events only, and a head left behind by a power loss is accepted by verify.
    this.#head.write(headJson({ seq: last.seq, hash: last.hash, size }));
    return { events, size };
  }
}

function writeAllSync(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}
