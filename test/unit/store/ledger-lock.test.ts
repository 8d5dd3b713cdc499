import { spawn } from "node:child_process";
import { mkdir, readFile, rename, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { acquireLedgerLock, holderGone, LOCK_DIR, OWNER_FILE } from "../../../src/store/ledger/lock.js";
import { readLedger } from "../../../src/store/ledger/read.js";
import { Ledger } from "../../../src/store/ledger/writer.js";
import { tempDir } from "./tmp-dir.js";

const RUN = "run-lock";

/** The pid of a process that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

/** The identity an owner file records for the lock dir: ino + birth time. */
async function lockIdentity(dir: string): Promise<string> {
  const st = await stat(path.join(dir, LOCK_DIR), { bigint: true });
  return `${st.ino}:${st.birthtimeNs}`;
}

/** Leaves a lock behind as a writer would: the lock dir plus an owner file naming `pid`. */
async function plantLock(dir: string, pid: number, host = hostname()): Promise<void> {
  await mkdir(path.join(dir, LOCK_DIR), { recursive: true });
  await writeFile(path.join(dir, OWNER_FILE), JSON.stringify({ pid, host, lock: await lockIdentity(dir) }));
}

const owner = async (dir: string): Promise<unknown> =>
  JSON.parse(await readFile(path.join(dir, OWNER_FILE), "utf8"));

describe("ledger single-writer lock", () => {
  it("refuses a second writer while the first is open, and lets it in after close", async () => {
    const dir = await tempDir();
    const first = await Ledger.open(dir, { runId: RUN });
    const err = await Ledger.open(dir, { runId: RUN, lockWaitMs: 100 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "LEDGER_LOCKED" });
    expect(String((err as Error).message)).toContain(`pid ${process.pid}`);
    await first.append({ kind: "A" });
    // readers never need the lock
    expect((await readLedger(dir)).verify.events).toBe(1);
    await first.close();
    const second = await Ledger.open(dir, { runId: RUN, lockWaitMs: 0 });
    expect(second.head.seq).toBe(1);
    await second.close();
  });

  it("waits for a live writer that lets go within lockWaitMs", async () => {
    const dir = await tempDir();
    const first = await Ledger.open(dir, { runId: RUN });
    await first.append({ kind: "ByFirst" });
    // The second writer is refused while the first holds the lock; the first lets go during that wait.
    const waits: number[] = [];
    const lock = await acquireLedgerLock(dir, {
      waitMs: 5_000,
      sleep: async (ms) => {
        waits.push(ms);
        if (waits.length === 1) await first.close();
      },
    });
    try {
      // Refused exactly once (while the first held the lock), let in on the try after it let go.
      expect(waits).toHaveLength(1);
      expect(waits[0]).toBeGreaterThan(0);
      expect(await owner(dir)).toEqual({ pid: process.pid, host: hostname(), lock: await lockIdentity(dir) });
    } finally {
      await lock.release();
    }
    const second = await Ledger.open(dir, { runId: RUN, lockWaitMs: 0 });
    expect(second.head.seq).toBe(1);
    await second.close();
  });

  it("takes over at once from a writer whose process is dead", async () => {
    const dir = await tempDir();
    const dead = await deadPid();
    await plantLock(dir, dead);
    expect(await owner(dir)).toMatchObject({ pid: dead });
    // lockWaitMs 0: no waiting for the dead holder, the lock is taken on the spot and is ours.
    const ledger = await Ledger.open(dir, { runId: RUN, lockWaitMs: 0 });
    expect(await owner(dir)).toEqual({ pid: process.pid, host: hostname(), lock: await lockIdentity(dir) });
    await ledger.append({ kind: "AfterCrash" });
    await ledger.close();
    const { events, verify } = await readLedger(dir);
    expect(verify.ok).toBe(true);
    expect(events.map((e) => e.kind)).toEqual(["AfterCrash"]);
  });

  it("does not take over from a live process", async () => {
    const dir = await tempDir();
    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
    try {
      await plantLock(dir, sleeper.pid!);
      await expect(Ledger.open(dir, { runId: RUN, lockWaitMs: 0 })).rejects.toMatchObject({
        code: "LEDGER_LOCKED",
      });
    } finally {
      sleeper.kill("SIGKILL");
    }
  });

  it("does not judge a dead pid on another host", async () => {
    const dir = await tempDir();
    await plantLock(dir, await deadPid(), `not-${hostname()}`);
    await expect(Ledger.open(dir, { runId: RUN, lockWaitMs: 0 })).rejects.toMatchObject({
      code: "LEDGER_LOCKED",
    });
  });

  it("ignores a left-over owner file that names an older lock dir", async () => {
    const dir = await tempDir();
    await plantLock(dir, await deadPid());
    // Replace the lock dir: the owner file now describes a dir that no longer exists.
    const lockPath = path.join(dir, LOCK_DIR);
    await rename(lockPath, `${lockPath}.old`);
    await mkdir(lockPath);
    await expect(Ledger.open(dir, { runId: RUN, lockWaitMs: 0 })).rejects.toMatchObject({
      code: "LEDGER_LOCKED",
    });
  });

  it("reaps a lock with no owner once it is older than the grace period", async () => {
    const dir = await tempDir();
    const lockPath = path.join(dir, LOCK_DIR);
    await mkdir(lockPath);
    await expect(Ledger.open(dir, { runId: RUN, lockWaitMs: 0 })).rejects.toMatchObject({
      code: "LEDGER_LOCKED",
    });
    const old = new Date(Date.now() - 60_000);
    await utimes(lockPath, old, old);
    const ledger = await Ledger.open(dir, { runId: RUN, lockWaitMs: 0 });
    await ledger.close();
  });
});

describe("holderGone (when a lock may be reaped)", () => {
  const dead = () => false;
  const alive = () => true;
  const owner = (lock: string, host = "here") => ({ pid: 4242, host, lock });

  it("a current owner file decides by its pid on this host, at once when the identity has a birth time", () => {
    const id = "123:1700000000000000000";
    expect(holderGone({ owner: owner(id), identity: id, lockAgeMs: 0, host: "here", alive: dead })).toBe(
      true,
    );
    expect(holderGone({ owner: owner(id), identity: id, lockAgeMs: 0, host: "here", alive })).toBe(false);
    expect(
      holderGone({
        owner: owner(id, "elsewhere"),
        identity: id,
        lockAgeMs: 60_000,
        host: "here",
        alive: dead,
      }),
    ).toBe(false);
  });

  it("without a current owner file, only a lock older than the owner's grace", () => {
    expect(holderGone({ owner: null, identity: "1:2", lockAgeMs: 100, host: "here", alive: dead })).toBe(
      false,
    );
    expect(holderGone({ owner: null, identity: "1:2", lockAgeMs: 5_000, host: "here", alive: dead })).toBe(
      true,
    );
    expect(
      holderGone({ owner: owner("9:9"), identity: "1:2", lockAgeMs: 100, host: "here", alive: dead }),
    ).toBe(false);
  });

  it("no birth time: a dead owner's left-over file naming a reused inode cannot reap a fresh lock", () => {
    // A filesystem without birth times: the identity is the inode alone, and the new lock dir got it again.
    const reused = "123:0";
    expect(
      holderGone({ owner: owner(reused), identity: reused, lockAgeMs: 5, host: "here", alive: dead }),
    ).toBe(false);
    expect(
      holderGone({ owner: owner(reused), identity: reused, lockAgeMs: 5_000, host: "here", alive: dead }),
    ).toBe(true);
  });
});
