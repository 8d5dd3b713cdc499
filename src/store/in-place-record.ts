import { closeSync, constants, fstatSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { OmkError } from "../core/errors.js";

/**
 * A small file that one writer rewrites often (a ledger's head, a run's heartbeat), overwritten in
 * place: one write at offset 0 of a record padded to a fixed size, no temp file, no rename, no flush.
 * Against write-to-temp + rename that saves the main thread ~0.2–1 ms per write on the benchmark VM
 * (more while a goal's lanes keep the disk busy). What a writer of such a file must accept:
 * - A reader racing a write can see a mix of two records; readers of these files read again when
 *   what they read does not parse or does not agree with the data it describes.
 * - Nothing is flushed: after a power loss the file may hold an earlier record.
 * The file must exist (made atomically, e.g. by writePrivateFile); it is opened without following a
 * link and checked to be a regular file, so whatever is swapped in for it later, the writes go to
 * this file and nowhere else.
 */
export class InPlaceRecord {
  #fd: number | null;
  #written: number;

  private constructor(
    fd: number,
    written: number,
    readonly size: number,
  ) {
    this.#fd = fd;
    this.#written = written;
  }

  static open(file: string, size: number): InPlaceRecord {
    const fd = openSync(file, constants.O_WRONLY | constants.O_NOFOLLOW);
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      throw new OmkError("IO_FAILED", `${file} is not a regular file`);
    }
    return new InPlaceRecord(fd, st.size, size);
  }

  /** `text` (one line, no newline) padded with blanks to `size` bytes, the last one a newline. */
  write(text: string): void {
    if (this.#fd === null) return;
    const bytes = Buffer.from(padRecord(text, this.size), "utf8");
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.#fd, bytes, offset, bytes.length - offset, offset);
    // A record longer than `size` (or a file that was longer) must not leave a longer tail behind.
    if (this.#written > bytes.length) ftruncateSync(this.#fd, bytes.length);
    this.#written = bytes.length;
  }

  close(): void {
    if (this.#fd === null) return;
    const fd = this.#fd;
    this.#fd = null;
    closeSync(fd);
  }
}

/** `text` padded with blanks to `size` bytes with a final newline (longer text is kept whole). */
export function padRecord(text: string, size: number): string {
  return `${text.padEnd(size - 1 - (Buffer.byteLength(text) - text.length), " ")}\n`;
}
