import { createHash, type Hash } from "node:crypto";
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { outputArtifact } from "../journal/integrity.js";
import { StreamRedactor } from "../security/redact.js";
import { PRIVATE_FILE_MODE } from "../store/private-fs.js";
import { type CoalescerOptions, type OutputBatch, OutputCoalescer } from "./output-batches.js";

/**
 * One attempt's agent output: redacted as a stream (a secret split across writes stays one secret),
 * written to `artifacts/output-<n>.log` (0600) keeping the first and last `capBytes / 2` bytes with the
 * cut marked, and coalesced into a few ledger batches. Memory is bounded by the cap whatever the agent
 * prints: the head goes straight to the file, only the tail window is held until the attempt ends.
 */

/** How the adapter's text events frame the output. */
export type OutputFraming =
  /** Each text event is one line without its line end (exec stdout, replay). */
  | "lines"
  /** Text events are pieces of a stream (kimi's content deltas). */
  | "chunks";

export interface SavedOutput {
  attempt: number;
  /** Relative to the run dir. */
  file: string;
  sha256: string;
  /** Bytes in the file. */
  bytes: number;
  /** Redacted bytes the agent printed. */
  seenBytes: number;
  lines: number;
  /** Bytes left out between the head and the tail. */
  cutBytes: number;
  batches: number;
}

export interface RecorderOptions {
  runDir: string;
  attempt: number;
  /** What the file keeps at most (head + tail), marker aside. */
  capBytes: number;
  framing: OutputFraming;
  onBatch: (batch: OutputBatch) => void;
  /** Batching knobs (tests). */
  batching?: Omit<CoalescerOptions, "onBatch"> | undefined;
}

/** Redacted characters gathered before one write(2). */
const WRITE_CHARS = 64 * 1024;
/** How long gathered text may wait before it is written anyway (live `run logs --follow`). */
const WRITE_MS = 200;
/** Bytes read back per block when the tail is copied into the artifact. */
const COPY_BLOCK = 256 * 1024;

export function cutMarker(cutBytes: number): string {
  return `[omk: ${cutBytes} bytes of agent output cut here; the head and the tail are kept]\n`;
}

export class AgentOutputRecorder {
  readonly attempt: number;
  readonly file: string;
  readonly #fd: number;
  readonly #hash: Hash = createHash("sha256");
  readonly #redactor = new StreamRedactor();
  readonly #batches: OutputCoalescer;
  readonly #framing: OutputFraming;
  readonly #headCap: number;
  readonly #tail: SpillTail;
  /** Redacted text not written yet. */
  #pending: string[] = [];
  #pendingChars = 0;
  #timer: NodeJS.Timeout | null = null;
  #written = 0;
  #headFull = false;
  #lastByte = 0x0a;
  #thinking = false;
  #atLineStart = true;
  #saved: SavedOutput | null = null;

  constructor(o: RecorderOptions) {
    this.attempt = o.attempt;
    this.file = outputArtifact(o.attempt);
    this.#framing = o.framing;
    this.#headCap = Math.floor(o.capBytes / 2);
    this.#batches = new OutputCoalescer({ ...o.batching, onBatch: o.onBatch });
    // A restarted attempt (after resume) starts its file over. The tail spills beside the run's
    // ledger, not into artifacts/ (every file there is named by the ledger).
    this.#tail = new SpillTail(join(o.runDir, `output-${o.attempt}`), o.capBytes - this.#headCap);
    this.#fd = openSync(join(o.runDir, this.file), "w", PRIVATE_FILE_MODE);
    fchmodSync(this.#fd, PRIVATE_FILE_MODE);
  }

  get saved(): SavedOutput | null {
    return this.#saved;
  }

  /** One text event of the agent's (raw words: redacted here). */
  text(text: string, kind: "text" | "thinking" = "text"): void {
    if (this.#saved !== null) return;
    let out = "";
    if (kind === "thinking" && !this.#thinking) out += `${this.#atLineStart ? "" : "\n"}[thinking] `;
    if (kind === "text" && this.#thinking && !this.#atLineStart) out += "\n";
    this.#thinking = kind === "thinking";
    out += this.#framing === "lines" ? `${text}\n` : text;
    if (out.length === 0) return;
    this.#atLineStart = out.endsWith("\n");
    // Redacted line by line (the redactor holds back what may still turn out to be a secret).
    this.#gather(this.#redactor.push(out));
  }

  /** Another kind of agent event came between text pieces (a step, a tool call): end the open line. */
  breakLine(): void {
    if (this.#saved !== null || this.#atLineStart) return;
    this.#thinking = false;
    this.#atLineStart = true;
    this.#gather(this.#redactor.push("\n"));
  }

  /** The attempt ended: flushes the redactor, writes the kept tail, syncs and closes the file. */
  finish(): SavedOutput {
    if (this.#saved !== null) return this.#saved;
    this.#gather(this.#redactor.flush());
    this.#drain();
    const totals = this.#batches.close();
    const dropped = this.#tail.copyTo(
      (cut) => {
        if (cut > 0) this.#write(Buffer.from(`${this.#lastByte === 0x0a ? "" : "\n"}${cutMarker(cut)}`));
      },
      (buf) => this.#write(buf),
    );
    try {
      fsyncSync(this.#fd);
    } finally {
      closeSync(this.#fd);
    }
    this.#saved = {
      attempt: this.attempt,
      file: this.file,
      sha256: this.#hash.digest("hex"),
      bytes: this.#written,
      seenBytes: totals.bytes,
      lines: totals.lines,
      cutBytes: dropped,
      batches: totals.batches,
    };
    return this.#saved;
  }

  #gather(redacted: string): void {
    if (redacted.length === 0) return;
    this.#batches.push(redacted);
    this.#pending.push(redacted);
    this.#pendingChars += redacted.length;
    if (this.#pendingChars >= WRITE_CHARS) this.#drain();
    else if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        if (this.#saved === null) this.#drain();
      }, WRITE_MS);
      this.#timer.unref();
    }
  }

  /** Writes what was gathered: into the head while it has room, then into the tail. */
  #drain(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#pending.length === 0) return;
    const buf = Buffer.from(this.#pending.join(""), "utf8");
    this.#pending = [];
    this.#pendingChars = 0;
    if (this.#headFull) {
      this.#tail.append(buf);
      return;
    }
    const room = this.#headCap - this.#written;
    if (buf.length <= room) {
      this.#write(buf);
      return;
    }
    // Cut the head after a line end when one is near, else on a character boundary; the rest starts the tail.
    let at = Math.max(0, room);
    const nl = at > 0 ? buf.lastIndexOf(0x0a, at - 1) : -1;
    if (nl !== -1 && at - (nl + 1) < 4096) at = nl + 1;
    else while (at > 0 && ((buf[at] ?? 0) & 0xc0) === 0x80) at--;
    if (at > 0) this.#write(buf.subarray(0, at));
    this.#headFull = true;
    this.#tail.append(buf.subarray(at));
  }

  #write(buf: Uint8Array): void {
    let off = 0;
    while (off < buf.length) off += writeSync(this.#fd, buf, off, buf.length - off);
    this.#hash.update(buf);
    this.#written += buf.length;
    this.#lastByte = buf[buf.length - 1] ?? this.#lastByte;
  }
}

/**
 * The last `cap` bytes appended, spilled to two segment files beside the artifact (the current one and
 * the one before it, each at most `cap` bytes), so memory stays flat and a crash leaves the tail on
 * disk. `take()` reads the window back (cut on a character boundary, from a line start when one is
 * near) and removes the segments.
 */
class SpillTail {
  readonly #paths: [string, string];
  #fds: [number | null, number | null] = [null, null];
  #sizes: [number, number] = [0, 0];
  #cur = 0;
  #total = 0;

  constructor(
    base: string,
    private readonly cap: number,
  ) {
    this.#paths = [`${base}.tail-0`, `${base}.tail-1`];
  }

  append(buf: Uint8Array): void {
    let off = 0;
    while (off < buf.length) {
      if (this.#sizes[this.#cur]! >= this.cap) this.#rotate();
      const fd = this.#fd(this.#cur);
      const n = Math.min(buf.length - off, this.cap - this.#sizes[this.#cur]!);
      const at = this.#sizes[this.#cur]!;
      let done = 0;
      while (done < n) done += writeSync(fd, buf, off + done, n - done, at + done);
      this.#sizes[this.#cur]! += n;
      this.#total += n;
      off += n;
    }
  }

  /**
   * Streams the kept window to `write` in blocks, after `before(dropped)` (where the cut marker goes);
   * then removes the segments.
   */
  copyTo(before: (dropped: number) => void, write: (buf: Uint8Array) => void): number {
    const cur = this.#cur;
    const prev = 1 - cur;
    const fromPrev = Math.min(this.#sizes[prev]!, this.cap - this.#sizes[cur]!);
    const ranges: [number, number, number][] = [];
    if (fromPrev > 0) ranges.push([prev, this.#sizes[prev]! - fromPrev, fromPrev]);
    if (this.#sizes[cur]! > 0) ranges.push([cur, 0, this.#sizes[cur]!]);
    let kept = ranges.reduce((n, [, , len]) => n + len, 0);
    // Something was dropped before the window: start it on a character, and on a line start if near.
    let skip = 0;
    const first = ranges[0];
    if (this.#total > kept && first) {
      const probe = this.#read(first[0], first[1], Math.min(first[2], 8192));
      while (skip < probe.length && ((probe[skip] ?? 0) & 0xc0) === 0x80) skip++;
      const nl = probe.indexOf(0x0a, skip);
      if (nl !== -1 && nl - skip < 4096) skip = nl + 1;
      first[1] += skip;
      first[2] -= skip;
      kept -= skip;
    }
    const dropped = this.#total - kept;
    before(dropped);
    for (const [i, from, len] of ranges) {
      for (let off = 0; off < len; off += COPY_BLOCK) {
        write(this.#read(i, from + off, Math.min(COPY_BLOCK, len - off)));
      }
    }
    this.dispose();
    return dropped;
  }

  /** Closes and removes the segment files. */
  dispose(): void {
    for (const i of [0, 1] as const) {
      const fd = this.#fds[i];
      if (fd !== null) closeSync(fd);
      this.#fds[i] = null;
      rmSync(this.#paths[i], { force: true });
    }
  }

  #fd(i: number): number {
    const known = this.#fds[i];
    if (known !== null && known !== undefined) return known;
    const fd = openSync(this.#paths[i]!, "w+", PRIVATE_FILE_MODE);
    fchmodSync(fd, PRIVATE_FILE_MODE);
    this.#fds[i] = fd;
    return fd;
  }

  #rotate(): void {
    this.#cur = 1 - this.#cur;
    const fd = this.#fd(this.#cur);
    ftruncateSync(fd, 0);
    this.#sizes[this.#cur] = 0;
  }

  #read(i: number, position: number, length: number): Buffer {
    const buf = Buffer.alloc(length);
    const fd = this.#fd(i);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  }
}
