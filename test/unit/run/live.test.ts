import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RunJournalEvent } from "../../../src/journal/events.js";
import { LIVE_FILE, livenessOf, readLive, startHeartbeat } from "../../../src/run/live.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "omk-live-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ev = (kind: string, data: Record<string, unknown>) => ({ kind, data }) as unknown as RunJournalEvent;

describe("live.json: who drives a run", () => {
  it("beats while driven, follows the attempt and phase, and is gone when stopped", async () => {
    const dir = tmp();
    const hb = await startHeartbeat(dir, { pid: process.pid, intervalMs: 20 });
    expect(await readLive(dir)).toMatchObject({ pid: process.pid, attempt: null, phase: "starting" });
    hb.observe(ev("AttemptStarted", { attempt: 2, feedbackFrom: 1 }));
    hb.observe(ev("GateStarted", { attempt: 2, name: "test" }));
    await new Promise((r) => setTimeout(r, 80));
    const rec = await readLive(dir);
    expect(rec).toMatchObject({ attempt: 2, phase: "gate test" });
    expect(livenessOf(rec)).toMatchObject({
      state: "running",
      pid: process.pid,
      attempt: 2,
      phase: "gate test",
    });
    expect(JSON.parse(readFileSync(join(dir, LIVE_FILE), "utf8")).pid).toBe(process.pid);
    // One file, rewritten in place at every beat (no temp files beside it).
    const inode = statSync(join(dir, LIVE_FILE)).ino;
    hb.observe(ev("GateResult", { attempt: 2, name: "test" }));
    await new Promise((r) => setTimeout(r, 40));
    expect(await readLive(dir)).toMatchObject({ phase: "gates" });
    expect(statSync(join(dir, LIVE_FILE)).ino).toBe(inode);
    expect(readdirSync(dir)).toEqual([LIVE_FILE]);
    await hb.stop();
    expect(existsSync(join(dir, LIVE_FILE))).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(existsSync(join(dir, LIVE_FILE))).toBe(false);
  });

  it("crashed: no record, a dead pid, or a stale heartbeat", () => {
    const now = new Date("2025-01-01T00:01:00Z");
    const rec = {
      pid: 4242,
      startedAt: "2025-01-01T00:00:00Z",
      heartbeatAt: "2025-01-01T00:00:55Z",
      attempt: 1,
      phase: "agent",
    };
    expect(livenessOf(null).state).toBe("crashed");
    expect(livenessOf(rec, { now, isAlive: () => false })).toMatchObject({
      state: "crashed",
      reason: /gone/,
    });
    expect(livenessOf(rec, { now, isAlive: () => true }).state).toBe("running");
    expect(
      livenessOf({ ...rec, heartbeatAt: "2025-01-01T00:00:00Z" }, { now, isAlive: () => true }),
    ).toMatchObject({ state: "crashed", reason: /no heartbeat/ });
  });
});
