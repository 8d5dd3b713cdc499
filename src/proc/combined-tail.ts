import { StreamRedactor } from "../security/redact.js";
import { LineSplitter } from "./line-splitter.js";
import { TailBuffer } from "./tail-buffer.js";

/** A line longer than this is cut into pieces so one stream cannot starve the other. */
const MAX_LINE_CHARS = 64 * 1024;

/**
 * stdout and stderr interleaved line by line in arrival order, redacted, last `capBytes` kept —
 * what a person wants to see of a failed gate. Each stream's own redacted output is delayed by
 * its redactor's look-ahead, so merging those would scramble the order; instead complete raw
 * lines from both streams feed one redactor, which sees a real text and so redacts it exactly
 * as it would any other.
 */
export class CombinedTail {
  private readonly redactor = new StreamRedactor();
  private readonly tail: TailBuffer;
  private readonly stdout = new LineSplitter((line) => this.add(line), MAX_LINE_CHARS);
  private readonly stderr = new LineSplitter((line) => this.add(line), MAX_LINE_CHARS);
  private result: string | undefined;

  constructor(capBytes: number) {
    this.tail = new TailBuffer(capBytes);
  }

  /** Decoded, still unredacted text of one stream; never stored as is. */
  push(stream: "stdout" | "stderr", text: string): void {
    if (this.result === undefined) this[stream].push(text);
  }

  finish(): string {
    if (this.result === undefined) {
      this.stdout.flush();
      this.stderr.flush();
      this.tail.append(this.redactor.flush());
      this.result = this.tail.text();
    }
    return this.result;
  }

  private add(line: string): void {
    this.tail.append(this.redactor.push(`${line}\n`));
  }
}
