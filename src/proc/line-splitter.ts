/**
 * LF framing over text that arrives in arbitrary chunks: a line may span chunks, and a `\r`
 * before the `\n` is dropped so CRLF writers frame the same way. `maxLineChars` bounds memory
 * for display callbacks fed by untrusted children; protocol framing leaves it unset because a
 * split frame would no longer parse.
 */
export class LineSplitter {
  private pending = "";

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineChars?: number | undefined,
  ) {}

  push(text: string): void {
    let from = 0;
    let nl = text.indexOf("\n", from);
    while (nl >= 0) {
      this.emit(this.pending + text.slice(from, nl));
      this.pending = "";
      from = nl + 1;
      nl = text.indexOf("\n", from);
    }
    this.pending += text.slice(from);
    if (this.maxLineChars !== undefined) {
      while (this.pending.length > this.maxLineChars) {
        this.onLine(this.pending.slice(0, this.maxLineChars));
        this.pending = this.pending.slice(this.maxLineChars);
      }
    }
  }

  /** Emits a final unterminated line, if any. */
  flush(): void {
    if (this.pending.length > 0) this.emit(this.pending);
    this.pending = "";
  }

  private emit(line: string): void {
    this.onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
  }
}
