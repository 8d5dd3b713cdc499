import { describe, expect, it } from "vitest";
import { SettleQueue } from "../../../src/goal/settle-queue.js";

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe("SettleQueue: a goal's merges, one at a time, off the lanes' loop", () => {
  it("runs jobs one at a time in the order pushed, and wakes a waiter when each one ends", async () => {
    const q = new SettleQueue();
    const log: string[] = [];
    let running = 0;
    const job = (name: string) => async () => {
      running += 1;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running -= 1;
    };
    expect(q.idle).toBe(true);
    q.push(job("a"));
    q.push(job("b"));
    expect(q.idle).toBe(false);
    await q.next();
    expect(log).toEqual(["start a", "end a"]);
    await q.next();
    expect(log).toEqual(["start a", "end a", "start b", "end b"]);
    expect(q.idle).toBe(true);
    q.rethrow();
  });

  it("never wakes a waiter while empty", async () => {
    const q = new SettleQueue();
    const woke = await Promise.race([q.next().then(() => "woke"), tick(20).then(() => "slept")]);
    expect(woke).toBe("slept");
  });

  it("keeps the first error for rethrow and runs no later job", async () => {
    const q = new SettleQueue();
    let later = false;
    q.push(async () => {
      throw new Error("ledger full");
    });
    q.push(async () => {
      later = true;
    });
    await q.drained();
    expect(later).toBe(false);
    expect(q.idle).toBe(true);
    expect(() => q.rethrow()).toThrow("ledger full");
  });
});
