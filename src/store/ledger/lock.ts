import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { chmod, readFile, rename, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import * as path from "node:path";
import lockfile from "proper-lockfile";
import { z } from "zod";
import { OmkError } from "../../core/errors.js";
import { PRIVATE_DIR_MODE, writePrivateFile } from "../private-fs.js";

export const LOCK_DIR = "ledger.lock";
/** Sibling of the lock dir (proper-lockfile removes the dir with rmdir, so it must stay empty). */
export const OWNER_FILE = "ledger.lock.owner";

/** proper-lockfile's staleness: a holder refreshes the dir's mtime every STALE_MS / 2. */
const STALE_MS = 10_000;
/** Owners write their owner file right after mkdir; a lock with no owner for this long died in between. */
const OWNERLESS_GRACE_MS = 2_000;
const POLL_MS = 50;
const MAX_REAPS = 5;

export interface LedgerLock {
  /** Set when the lock was lost (heartbeat failed or the dir vanished): the holder must stop writing. */
  readonly compromised: Error | null;
  release(): Promise<void>;
}

const OwnerSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  /** ino + birth time of the lock dir this owner created; tells a current owner file from a left-over one. */
  lock: z.string(),
});
export type Owner = z.infer<typeof OwnerSchema>;

// mkdir's mode only narrows through the umask, so 0700 can never come out wider.
const lockFs = {
  ...fs,
  mkdir: (p: string, cb: (err: NodeJS.ErrnoException | null) => void) =>
    fs.mkdir(p, { mode: PRIVATE_DIR_MODE }, cb),
};

function errno(err: unknown): string | undefined {
  return err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
}

/** The lock dir's identity (inode + birth time) and its mtime, from one stat; null once it is gone. */
async function lockStat(dir: string): Promise<{ identity: string; mtimeMs: number } | null> {
  try {
    const st = await stat(dir, { bigint: true });
    return { identity: `${st.ino}:${st.birthtimeNs}`, mtimeMs: Number(st.mtimeMs) };
  } catch (err) {
    if (errno(err) === "ENOENT") return null;
    throw err;
  }
}

async function lockIdentity(dir: string): Promise<string | null> {
  return (await lockStat(dir))?.identity ?? null;
}

async function readOwner(file: string): Promise<Owner | null> {
  try {
    const parsed = OwnerSchema.safeParse(JSON.parse(await readFile(file, "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the pid exists but belongs to someone else.
    return errno(err) === "EPERM";
  }
}

/**
 * Whether the holder of the lock dir `identity` is provably gone. An owner file names the lock it was
 * written for: its pid decides, on this host. Without a current owner file, the lock must be older
 * than the grace an owner needs to write one. Where the filesystem keeps no birth time the identity
 * is the inode alone, which a later lock dir can reuse: a dead owner's left-over file could then
 * pass for the current one in the moment between a new holder's mkdir and its owner file, so such a
 * lock also needs that grace.
 */
export function holderGone(o: {
  owner: Owner | null;
  identity: string;
  lockAgeMs: number;
  host: string;
  alive: (pid: number) => boolean;
}): boolean {
  const aged = o.lockAgeMs > OWNERLESS_GRACE_MS;
  if (o.owner === null || o.owner.lock !== o.identity) return aged;
  const weak = o.identity.endsWith(":0");
  return o.owner.host === o.host && !o.alive(o.owner.pid) && (aged || !weak);
}

/**
 * Removes the lock if its holder is provably gone: a dead pid on this host, or no owner file long after
 * mkdir. Returns true when the caller should retry at once. Claims the dir by renaming it and checks the
 * renamed dir is the one judged dead, so two reapers cannot both remove a fresh lock.
 */
async function reapIfDead(dir: string): Promise<boolean> {
  const lockPath = path.join(dir, LOCK_DIR);
  const lock = await lockStat(lockPath);
  if (lock === null) return true;
  const { identity } = lock;
  const owner = await readOwner(path.join(dir, OWNER_FILE));
  if (
    !holderGone({ owner, identity, lockAgeMs: Date.now() - lock.mtimeMs, host: hostname(), alive: pidAlive })
  )
    return false;

  const grave = `${lockPath}.reap-${randomBytes(6).toString("hex")}`;
  try {
    await rename(lockPath, grave);
  } catch (err) {
    if (errno(err) === "ENOENT") return true;
    throw err;
  }
  if ((await lockIdentity(grave)) !== identity) {
    // Someone re-locked between our look and our rename; hand their lock back.
    await rename(grave, lockPath).catch(() => undefined);
    return false;
  }
  await rm(grave, { recursive: true, force: true });
  return true;
}

function lockedError(dir: string, owner: Owner | null): OmkError {
  const who = owner === null ? "another process" : `pid ${owner.pid} on ${owner.host}`;
  return new OmkError("LEDGER_LOCKED", `The ledger in ${dir} is being written by ${who}`, {
    hint: "Wait for that omk process to finish. A crashed writer's lock is recovered automatically.",
    details: { dir },
  });
}

const pollWait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Exclusive single-writer lock on a ledger dir; waits up to `waitMs` for a live holder to let go, polling
 * every POLL_MS through `sleep` (default: a timer; tests pass one to act exactly between attempts).
 */
export async function acquireLedgerLock(
  dir: string,
  opts: { waitMs: number; sleep?: (ms: number) => Promise<void> },
): Promise<LedgerLock> {
  const lockPath = path.join(dir, LOCK_DIR);
  const deadline = Date.now() + opts.waitMs;
  let compromised: Error | null = null;
  let reaps = 0;
  let release: () => Promise<void>;

  for (;;) {
    try {
      release = await lockfile.lock(dir, {
        lockfilePath: lockPath,
        // omk names each lock dir by one absolute path; resolving it would cost an lstat per component.
        realpath: false,
        stale: STALE_MS,
        retries: 0,
        fs: lockFs,
        onCompromised: (err) => {
          compromised = err;
        },
      });
      break;
    } catch (err) {
      if (errno(err) !== "ELOCKED") {
        throw new OmkError("IO_FAILED", `Cannot lock ledger in ${dir}: ${String(err)}`, { cause: err });
      }
    }
    if (reaps < MAX_REAPS && (await reapIfDead(dir))) {
      reaps += 1;
      continue;
    }
    if (Date.now() >= deadline) throw lockedError(dir, await readOwner(path.join(dir, OWNER_FILE)));
    await (opts.sleep ?? pollWait)(POLL_MS);
  }

  try {
    await chmod(lockPath, PRIVATE_DIR_MODE);
    const identity = await lockIdentity(lockPath);
    if (identity === null) throw new Error("lock dir vanished right after it was created");
    const owner: Owner = { pid: process.pid, host: hostname(), lock: identity };
    await writePrivateFile(path.join(dir, OWNER_FILE), `${JSON.stringify(owner)}\n`);
  } catch (err) {
    await release().catch(() => undefined);
    throw err instanceof OmkError
      ? err
      : new OmkError("IO_FAILED", `Cannot lock ledger in ${dir}`, { cause: err });
  }

  return {
    get compromised() {
      return compromised;
    },
    // The owner file stays: it names a lock identity that no longer exists, so it can mislead no one.
    release: () => (compromised === null ? release() : Promise.resolve()),
  };
}
