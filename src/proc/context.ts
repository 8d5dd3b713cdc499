import { runProcess } from "./run-process.js";
import { spawnProcess } from "./spawn-process.js";
import type { ProcessHandle, ProcResult, RunOptions, SpawnOptions } from "./types.js";

/** What starts child processes; modules take one so a test can put its own in. */
export interface Spawner {
  run(argv: readonly string[], options: RunOptions): Promise<ProcResult>;
  spawn(argv: readonly string[], options: SpawnOptions): ProcessHandle;
}

export const defaultSpawner: Spawner = { run: runProcess, spawn: spawnProcess };

/**
 * The process context of one run: every child started through it has its process group recorded
 * here (and handed to `onGroup`, synchronously, before the child can do anything), so K runs in one
 * omk process each know exactly their own children — for crash recovery, never anyone else's.
 */
export class ProcessContext implements Spawner {
  readonly #groups: number[] = [];
  readonly #onGroup: ((pgid: number) => void) | undefined;
  readonly #base: Spawner;

  constructor(opts: { onGroup?: ((pgid: number) => void) | undefined; spawner?: Spawner | undefined } = {}) {
    this.#onGroup = opts.onGroup;
    this.#base = opts.spawner ?? defaultSpawner;
  }

  /** Every process group started through this context, in order. */
  get groups(): readonly number[] {
    return this.#groups;
  }

  run(argv: readonly string[], options: RunOptions): Promise<ProcResult> {
    return this.#base.run(argv, { ...options, onGroupStarted: this.#chain(options.onGroupStarted) });
  }

  spawn(argv: readonly string[], options: SpawnOptions): ProcessHandle {
    return this.#base.spawn(argv, { ...options, onGroupStarted: this.#chain(options.onGroupStarted) });
  }

  #chain(inner: ((pgid: number) => void) | undefined): (pgid: number) => void {
    return (pgid) => {
      this.#groups.push(pgid);
      this.#onGroup?.(pgid);
      inner?.(pgid);
    };
  }
}
