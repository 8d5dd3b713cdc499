import { describe, expect, it } from "vitest";
import { FreeLanes } from "../../../src/goal/free-lanes.js";

describe("FreeLanes: which lanes of a goal can take a task", () => {
  it("hands out the lowest free lane, takes lanes back in any order, and wakes a waiter on each give", async () => {
    const lanes = new FreeLanes(3);
    expect([lanes.take(), lanes.take(), lanes.take()]).toEqual([0, 1, 2]);
    expect(lanes.count).toBe(0);
    expect(() => lanes.take()).toThrow();
    const woke = lanes.next();
    lanes.give(2);
    await expect(woke).resolves.toBeNull();
    lanes.give(0);
    expect(lanes.count).toBe(2);
    expect(lanes.take()).toBe(0);
    expect(lanes.take()).toBe(2);
  });

  it("does not wake a waiter while no lane is given back", async () => {
    const lanes = new FreeLanes(1);
    lanes.take();
    const r = await Promise.race([
      lanes.next().then(() => "woke"),
      new Promise((r) => setTimeout(() => r("slept"), 20)),
    ]);
    expect(r).toBe("slept");
  });
});
