import { createHash, type Hash } from "node:crypto";
import { TextDecoder } from "node:util";
import { StreamRedactor } from "../security/redact.js";
import { LineSplitter } from "./line-splitter.js";
import { TailBuffer } from "./tail-buffer.js";

/** sha256 of nothing: the hash of a stream that stayed empty. */
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** Display callbacks get lines of at most this many characters. */
const MAX_CALLBACK_LINE_CHARS = 64 * 1024;

export interface CapturedOutput {
  /** Redacted, tail-capped text. */
  text: string;
  /** Raw bytes the child wrote. */
  bytes: number;
  /** sha256 (hex) of the full redacted text, UTF-8 encoded. */
  sha256: string;
}

/**
 * One child output stream: raw bytes are counted, decoded, redacted, and only then hashed,
 * kept (tail) and split into lines. Whatever it keeps, hashes or hands to a line callback is
 * redacted, so neither the hash nor the tail can leak a secret the child printed. (Line
 * callbacks lag by the redactor's look-ahead: a few characters, more after a possible secret.)
 */
export class OutputCapture {
  // Made on first use: most streams of the git processes omk runs stay empty (stderr), and a hash or
  // decoder costs more to make than a short stream costs to handle.
  private decoder: TextDecoder | undefined;
  private readonly redactor = new StreamRedactor();
  private hash: Hash | undefined;
  private readonly tail: TailBuffer;
  private readonly lines: LineSplitter | undefined;
  private rawBytes = 0;
  private lineCallbackFailure: { error: unknown } | undefined;
  private finished: CapturedOutput | undefined;

  /**
   * @param onLine redacted lines, for live progress
   * @param onDecoded the decoded text before redaction, for CombinedTail only (it redacts itself)
   */
  constructor(
    capBytes: number,
    onLine?: ((line: string) => void) | undefined,
    private readonly onDecoded?: ((text: string) => void) | undefined,
  ) {
    this.tail = new TailBuffer(capBytes);
    this.lines =
      onLine === undefined
        ? undefined
        : new LineSplitter((line) => this.callLine(onLine, line), MAX_CALLBACK_LINE_CHARS);
  }

  /**
   * A line callback that throws is a bug in the caller; it runs inside a stream event where a
   * throw would crash omk, so the first error is kept for the caller to rethrow and later lines
   * are not delivered.
   */
  get callbackFailure(): { error: unknown } | undefined {
    return this.lineCallbackFailure;
  }

  private callLine(onLine: (line: string) => void, line: string): void {
    if (this.lineCallbackFailure !== undefined) return;
    try {
      onLine(line);
    } catch (error) {
      this.lineCallbackFailure = { error };
    }
  }

  push(chunk: Uint8Array | string): void {
    if (this.finished !== undefined) return;
    let text: string;
    if (typeof chunk === "string") {
      this.rawBytes += Buffer.byteLength(chunk, "utf8");
      text = chunk;
    } else {
      this.rawBytes += chunk.byteLength;
      this.decoder ??= new TextDecoder("utf-8");
      text = this.decoder.decode(chunk, { stream: true });
    }
    this.onDecoded?.(text);
    this.emit(this.redactor.push(text));
  }

  /** Redacted text kept so far, without finishing the stream (for live tails). */
  peek(): string {
    return this.finished?.text ?? this.tail.text();
  }

  finish(): CapturedOutput {
    if (this.finished !== undefined) return this.finished;
    const rest = this.decoder?.decode() ?? "";
    this.onDecoded?.(rest);
    this.emit(this.redactor.push(rest));
    this.emit(this.redactor.flush());
    this.lines?.flush();
    const sha256 = this.hash?.digest("hex") ?? EMPTY_SHA256;
    this.finished = { text: this.tail.text(), bytes: this.rawBytes, sha256 };
    return this.finished;
  }

  private emit(redacted: string): void {
    if (redacted.length === 0) return;
    this.hash ??= createHash("sha256");
    this.hash.update(redacted, "utf8");
    this.tail.append(redacted);
    this.lines?.push(redacted);
  }
}
