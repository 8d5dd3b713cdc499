/**
 * Push-to-pull bridge for stdout lines: the child writes whenever it likes, the consumer pulls
 * with `for await`. Lines are buffered in memory until read, so an unread handle grows; protocol
 * callers read continuously. Breaking out of the loop discards later lines instead of letting
 * them pile up.
 */
export class LineQueue implements AsyncIterable<string> {
  private readonly buffered: string[] = [];
  private waiting: ((result: IteratorResult<string>) => void) | undefined;
  private ended = false;
  private detached = false;
  private iterated = false;

  push(line: string): void {
    if (this.ended || this.detached) return;
    if (this.waiting !== undefined) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: line, done: false });
    } else {
      this.buffered.push(line);
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.waiting !== undefined) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    if (this.iterated) throw new Error("lines() has one consumer; it was already iterated.");
    this.iterated = true;
    return {
      next: () => {
        const line = this.buffered.shift();
        if (line !== undefined) return Promise.resolve({ value: line, done: false });
        if (this.ended || this.detached) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
      return: () => {
        this.detached = true;
        this.buffered.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
