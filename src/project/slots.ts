import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { isOmkError, OmkError } from "../core/errors.js";
import { acquireLedgerLock, type LedgerLock } from "../store/ledger/lock.js";
import { ensurePrivateDir } from "../store/private-fs.js";
import type { ProjectLocation } from "./locate.js";
import { removeWorktreeDir } from "./throwaway.js";

/**
 * A per-project pool of worktrees kept between holders (gate workspaces, goal lanes): slot n's
 * worktree is `.omk/worktrees/<prefix>-<n>`, its lock and kept state `<project state>/<state>/<n>`.
 */
export interface WorktreePool {
  prefix: string;
  state: string;
  max: number;
  /** What the slots are, in an error ("gate workspaces"). */
  what: string;
}

export function poolStateRoot(project: ProjectLocation, pool: WorktreePool): string {
  return join(project.runsDir, "..", pool.state);
}

export function poolDir(root: string, pool: WorktreePool, n: number): string {
  return join(root, ".omk", "worktrees", `${pool.prefix}-${n}`);
}

/** Every worktree of the pool, held or not (crash recovery looks for leftovers there). */
export async function poolDirs(root: string, pool: WorktreePool): Promise<string[]> {
  const base = join(root, ".omk", "worktrees");
  const names = await readdir(base).catch(() => [] as string[]);
  const mine = new RegExp(`^${pool.prefix}-\\d+$`);
  return names.filter((n) => mine.test(n)).map((n) => join(base, n));
}

/** The first free slot of `pool` (see acquireSlot), with its worktree's directory. */
export async function acquirePoolSlot(
  project: ProjectLocation,
  pool: WorktreePool,
  prefer = 0,
): Promise<Slot & { dir: string }> {
  const slot = await acquireSlot(poolStateRoot(project, pool), pool.max, pool.what, prefer);
  return { ...slot, dir: poolDir(project.root, pool, slot.n) };
}

/** `omk cleanup --workspaces`: removes the pool's worktrees no one holds (created again on demand). */
export function removeIdlePool(project: ProjectLocation, pool: WorktreePool): Promise<SlotRemoval[]> {
  return removeIdleSlots(
    poolStateRoot(project, pool),
    (n) => poolDir(project.root, pool, n),
    (dir) => removeWorktreeDir(project.root, dir),
  );
}

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
async function acquireSlot(stateRoot: string, max: number, what: string, prefer: number): Promise<Slot> {
  await ensurePrivateDir(stateRoot);
  // Slot `prefer` first: holders that start together (a goal's lanes) each try their own slot instead
  // of all trying slot 0, then 1, … one lock attempt after another.
  const first = prefer >= 0 && prefer < max ? prefer : 0;
  for (const n of [first, ...Array.from({ length: max }, (_, i) => i).filter((i) => i !== first)]) {
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

/** What `removeIdleSlots` did with one slot's directory. */
export interface SlotRemoval {
  dir: string;
  action: "removed" | "kept";
  reason: string;
}

/**
 * Removes the directory of every slot of the pool under `stateRoot` that nobody holds (`remove`
 * gets `dirOf(n)`), each under its lock so a holder arriving meanwhile waits for a fresh one. A slot
 * held right now is kept. The slots themselves stay: the next holder creates its directory again.
 */
async function removeIdleSlots(
  stateRoot: string,
  dirOf: (n: number) => string,
  remove: (dir: string) => Promise<void>,
): Promise<SlotRemoval[]> {
  const names = await readdir(stateRoot).catch(() => [] as string[]);
  const out: SlotRemoval[] = [];
  for (const n of names
    .filter((x) => /^\d+$/.test(x))
    .map(Number)
    .sort((a, b) => a - b)) {
    const dir = dirOf(n);
    if ((await lstat(dir).catch(() => null)) === null) continue;
    let lock: LedgerLock;
    try {
      lock = await acquireLedgerLock(join(stateRoot, String(n)), { waitMs: 0 });
    } catch (err) {
      if (!isOmkError(err) || err.code !== "LEDGER_LOCKED") throw err;
      out.push({ dir, action: "kept", reason: "in use by a running omk" });
      continue;
    }
    try {
      await remove(dir);
      out.push({ dir, action: "removed", reason: "idle; checked out again when needed" });
    } finally {
      await lock.release().catch(() => {});
    }
  }
  return out;
}
