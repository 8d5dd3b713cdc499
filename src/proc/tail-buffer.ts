/**
 * Keeps the last `capBytes` bytes of a text stream (UTF-8) while it is appended to in chunks.
 * Memory stays near 2×cap however much the child writes; `text()` cuts on a character boundary
 * and starts with a marker line when something was dropped, so a reader never mistakes a tail
 * for the whole output.
 */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private keptBytes = 0;
  private totalBytes = 0;

  constructor(private readonly capBytes: number) {}

  append(text: string): void {
    if (text.length === 0) return;
    const buf = Buffer.from(text, "utf8");
    this.totalBytes += buf.length;
    this.chunks.push(buf);
    this.keptBytes += buf.length;
    if (this.keptBytes > this.capBytes * 2) this.compact();
  }

  /** Bytes appended in total (of the text given, not of the raw stream). */
  get appendedBytes(): number {
    return this.totalBytes;
  }

  text(): string {
    this.compact();
    const kept = Buffer.concat(this.chunks);
    let start = 0;
    // Dropping bytes from the front may split a multi-byte character; skip its continuation bytes.
    while (start < kept.length && ((kept[start] ?? 0) & 0xc0) === 0x80) start++;
    const body = kept.subarray(start).toString("utf8");
    const dropped = this.totalBytes - (kept.length - start);
    return dropped > 0 ? `${truncationMarker(dropped)}${body}` : body;
  }

  private compact(): void {
    if (this.keptBytes <= this.capBytes) return;
    const all = Buffer.concat(this.chunks);
    const tail = all.subarray(all.length - this.capBytes);
    this.chunks = [Buffer.from(tail)];
    this.keptBytes = tail.length;
  }
}

export function truncationMarker(droppedBytes: number): string {
  return `[omk: ${droppedBytes} earlier bytes not kept]\n`;
}
