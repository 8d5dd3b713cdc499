/**
 * Coalesces an agent's (already redacted) text output into few ledger batches: one per `batchBytes`
 * or per `batchMs`, whichever comes first, at most `maxBatches` per attempt. Thresholds double every
 * `growEvery` batches, so the budget covers long quiet runs as well as loud ones. Memory is constant:
 * only counters and the sample of the open batch are kept, never the text.
 */

export interface OutputBatch {
  /** Line ends in the batch (a final unterminated line counts when the stream closes). */
  lines: number;
  /** UTF-8 bytes of the batch's text. */
  bytes: number;
  /** The batch's first characters. */
  sample: string;
}

export interface OutputTotals {
  lines: number;
  bytes: number;
  /** Batches emitted. */
  batches: number;
  /** Batches not emitted because the budget was spent (their text is still counted). */
  dropped: number;
}

export interface CoalescerOptions {
  onBatch: (batch: OutputBatch) => void;
  /** Default 64 KiB. */
  batchBytes?: number | undefined;
  /** Default 1000 ms; a timer emits a batch that stays open this long. 0: size only. */
  batchMs?: number | undefined;
  /** Default 200. */
  maxBatches?: number | undefined;
  /** Default 50. */
  growEvery?: number | undefined;
  /** Default 240 characters. */
  sampleChars?: number | undefined;
  /** Default Date.now. */
  now?: (() => number) | undefined;
}

export const DEFAULT_BATCH_BYTES = 64 * 1024;
export const DEFAULT_BATCH_MS = 1000;
export const DEFAULT_MAX_BATCHES = 200;

export class OutputCoalescer {
  readonly #onBatch: (batch: OutputBatch) => void;
  readonly #batchBytes: number;
  readonly #batchMs: number;
  readonly #maxBatches: number;
  readonly #growEvery: number;
  readonly #sampleChars: number;
  readonly #now: () => number;

  #lines = 0;
  #bytes = 0;
  #sample = "";
  #openedAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #totals: OutputTotals = { lines: 0, bytes: 0, batches: 0, dropped: 0 };
  /** The last character seen was not a line end (for the final line count). */
  #openLine = false;
  #closed = false;

  constructor(o: CoalescerOptions) {
    this.#onBatch = o.onBatch;
    this.#batchBytes = o.batchBytes ?? DEFAULT_BATCH_BYTES;
    this.#batchMs = o.batchMs ?? DEFAULT_BATCH_MS;
    this.#maxBatches = o.maxBatches ?? DEFAULT_MAX_BATCHES;
    this.#growEvery = o.growEvery ?? 50;
    this.#sampleChars = o.sampleChars ?? 240;
    this.#now = o.now ?? Date.now;
  }

  get totals(): Readonly<OutputTotals> {
    return this.#totals;
  }

  push(text: string): void {
    if (this.#closed || text.length === 0) return;
    const bytes = Buffer.byteLength(text, "utf8");
    const lines = countLineEnds(text);
    if (this.#bytes === 0) this.#open();
    this.#bytes += bytes;
    this.#lines += lines;
    this.#totals.bytes += bytes;
    this.#totals.lines += lines;
    this.#openLine = !text.endsWith("\n");
    if (this.#sample.length < this.#sampleChars) {
      // A copy, not a slice: a slice would keep the whole chunk alive as long as the batch is open.
      const part = Buffer.from(text.slice(0, this.#sampleChars - this.#sample.length), "utf8");
      this.#sample += part.toString("utf8");
    }
    const scale = this.#scale();
    if (this.#bytes >= this.#batchBytes * scale) this.flush();
    else if (this.#batchMs > 0 && this.#now() - this.#openedAt >= this.#batchMs * scale) this.flush();
  }

  /** Emits the open batch, if any. */
  flush(): void {
    this.#clearTimer();
    if (this.#bytes === 0) return;
    const batch: OutputBatch = { lines: this.#lines, bytes: this.#bytes, sample: this.#sample };
    this.#lines = 0;
    this.#bytes = 0;
    this.#sample = "";
    if (this.#totals.batches >= this.#maxBatches) {
      this.#totals.dropped++;
      return;
    }
    this.#totals.batches++;
    this.#onBatch(batch);
  }

  /** The stream ended: emits what is open and returns the totals (a final unterminated line counts). */
  close(): OutputTotals {
    if (!this.#closed) {
      if (this.#openLine) {
        this.#lines++;
        this.#totals.lines++;
        this.#openLine = false;
      }
      this.flush();
      this.#closed = true;
    }
    return { ...this.#totals };
  }

  #scale(): number {
    return 2 ** Math.floor(this.#totals.batches / this.#growEvery);
  }

  #open(): void {
    this.#openedAt = this.#now();
    if (this.#batchMs > 0 && this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.flush();
      }, this.#batchMs * this.#scale());
      this.#timer.unref();
    }
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

function countLineEnds(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) n++;
  return n;
}
