import { join } from "node:path";
import { isOmkError, OmkError } from "../core/errors.js";
import { acquireLedgerLock, type LedgerLock } from "../store/ledger/lock.js";
import { ensurePrivateDir } from "../store/private-fs.js";

/** A numbered slot of a per-project pool, held under its lock until released. */
export interface Slot {
  n: number;
  /** The slot's private state dir (its lock, what it keeps between holders). */
  state: string;
  lock: LedgerLock;
}

/**
 * The first free slot of the pool under `stateRoot` (`<stateRoot>/<n>`, n < max): its lock is taken
 * without waiting, so each concurrent holder gets its own slot, and a slot whose holder died (a
 * SIGKILLed omk) is free again once its lock went stale.
 */
export async function acquireSlot(stateRoot: string, max: number, what: string): Promise<Slot> {
  await ensurePrivateDir(stateRoot);
  for (let n = 0; n < max; n++) {
    const state = join(stateRoot, String(n));
    await ensurePrivateDir(state);
    try {
      return { n, state, lock: await acquireLedgerLock(state, { waitMs: 0 }) };
    } catch (err) {
      if (isOmkError(err) && err.code === "LEDGER_LOCKED") continue;
      throw err;
    }
  }
  throw new OmkError("SLOTS_BUSY", `all ${max} ${what} of this project are in use`, {
    hint: "wait for the project's other runs and goals to finish, or run fewer at once",
  });
}
