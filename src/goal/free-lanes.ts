/**
 * A goal's free lanes, lowest number first. A lane is given back as soon as its run is done with
 * the worktree, which can be before the run's result arrives; `next()` lets the loop wait for that.
 */
export class FreeLanes {
  readonly #free: number[];
  #waiters: (() => void)[] = [];

  constructor(lanes: number) {
    this.#free = Array.from({ length: lanes }, (_, i) => i);
  }

  get count(): number {
    return this.#free.length;
  }

  /** The lowest free lane; only while `count` > 0. */
  take(): number {
    const lane = this.#free.shift();
    if (lane === undefined) throw new Error("FreeLanes.take: no lane is free");
    return lane;
  }

  give(lane: number): void {
    this.#free.push(lane);
    this.#free.sort((a, b) => a - b);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves (with null) when a lane is given back. */
  next(): Promise<null> {
    return new Promise((resolve) => this.#waiters.push(() => resolve(null)));
  }
}
