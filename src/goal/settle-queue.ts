/**
 * Jobs run one at a time in the order pushed. `next()` resolves (with null) when a job ends, so a
 * loop can wait for a lane or the queue, whichever comes first; a job's error is kept for `rethrow()`.
 */
export class SettleQueue {
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;
  #error: { err: unknown } | null = null;
  #waiters: (() => void)[] = [];

  get idle(): boolean {
    return this.#pending === 0;
  }

  push(job: () => Promise<void>): void {
    this.#pending += 1;
    this.#tail = this.#tail
      .then(() => (this.#error === null ? job() : undefined))
      .catch((err: unknown) => {
        this.#error ??= { err };
      })
      .finally(() => {
        this.#pending -= 1;
        for (const wake of this.#waiters.splice(0)) wake();
      });
  }

  /** Resolves when the running job ends; never, while the queue is empty. */
  next(): Promise<null> {
    return new Promise((resolve) => {
      if (!this.idle) this.#waiters.push(() => resolve(null));
    });
  }

  drained(): Promise<void> {
    return this.#tail;
  }

  rethrow(): void {
    if (this.#error !== null) throw this.#error.err;
  }
}
