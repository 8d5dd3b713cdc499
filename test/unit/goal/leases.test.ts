import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GoalJournal } from "../../../src/goal/journal.js";
import { Leases } from "../../../src/goal/leases.js";
import type { RunJournalEvent } from "../../../src/journal/events.js";

const ev = (kind: string, data: Record<string, unknown> = {}) =>
  ({ kind, data }) as unknown as RunJournalEvent;
const choice = { name: "exec", bin: null, args: [], model: null };

describe("Leases", () => {
  let dir: string;
  let journal: GoalJournal;
  let now = 0;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "omk-leases-"));
    journal = await GoalJournal.create(join(dir, "g"), "goal-abc-def", {
      goalId: "goal-abc-def",
      goal: "g",
      root: dir,
      projectId: "p",
      base: "a".repeat(40),
      baseBranch: "main",
      integrationBranch: "omk/goal/goal-abc-def/integration",
      lanes: 1,
      agent: choice,
      planner: null,
      planFile: null,
      acceptPartial: false,
      portBase: 20000,
      portSpan: 100,
      maxAttempts: null,
      omkVersion: null,
    });
    now = 1_000_000;
  });
  afterEach(async () => {
    await journal.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function held() {
    const leases = new Leases(journal, 10_000, () => now);
    const lease = leases.hold("t", 0, new AbortController().signal);
    lease.onRunEvent(ev("RunStarted", { runId: "run-1" }));
    return { leases, lease };
  }

  it("expires an agent silent past the lease, aborting its run", async () => {
    const { leases, lease } = held();
    lease.onRunEvent(ev("AgentStarted"));
    now += 10_000;
    await leases.check();
    expect(lease.expired).toBe(false);
    now += 1;
    await leases.check();
    expect(lease.expired).toBe(true);
    expect(lease.signal.aborted).toBe(true);
    await journal.close();
    expect(journal.events.map((e) => e.kind)).toContain("LeaseExpired");
  });

  it("every run event renews it; renewals are recorded at most once per half lease", async () => {
    const { leases, lease } = held();
    lease.onRunEvent(ev("AgentStarted"));
    for (let i = 0; i < 20; i++) {
      now += 3_000;
      lease.onRunEvent(ev("AgentOutput"));
      await leases.check();
    }
    expect(lease.expired).toBe(false);
    await journal.close();
    const renewals = journal.events.filter((e) => e.kind === "LeaseRenewed").length;
    // 60 s of output with a 10 s lease: one renewal per 5 s at most.
    expect(renewals).toBeGreaterThan(5);
    expect(renewals).toBeLessThanOrEqual(12);
  });

  it("does not lease what is not the agent's turn (gates, omk's own steps)", async () => {
    const { leases, lease } = held();
    now += 60_000;
    await leases.check();
    lease.onRunEvent(ev("AgentStarted"));
    lease.onRunEvent(ev("AgentFinished"));
    now += 60_000;
    await leases.check();
    expect(lease.expired).toBe(false);
    lease.release();
  });
});
