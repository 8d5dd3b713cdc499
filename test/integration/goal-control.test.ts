import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  execGoalArgs,
  kinds,
  ledgerLines,
  ofKind,
  type Project,
  project,
  waitFor,
} from "../helpers/project.js";

/** A plan's task that writes `<id>.txt`. */
const t = (id: string, deps: string[] = []) => ({
  id,
  title: id,
  prompt: id,
  deps,
  read_set: [],
  write_set: [`${id}.txt`],
});

describe("omk goal pause | resume | cancel | logs", () => {
  let p: Project;
  let plan: string;
  let agent: string;
  beforeEach(async () => {
    p = await project({ "README.md": "control base\n" });
    plan = join(p.sb.dir, "plan.json");
    writeFileSync(plan, JSON.stringify({ tasks: [t("a", []), t("b", ["a"]), t("c", ["b"])] }));
    agent = p.script(
      "slow",
      `import { writeFileSync } from "node:fs";
console.log("agent output of " + process.env.OMK_GOAL_TASK);
// a runs long enough for the pause to arrive while it works.
await new Promise((r) => setTimeout(r, process.env.OMK_GOAL_TASK === "a" ? 4000 : 200));
writeFileSync(process.env.OMK_GOAL_TASK + ".txt", "ok\\n");
`,
    );
  });
  afterEach(async () => {
    await p.cleanup();
  });

  function goalDir(): string {
    const projects = join(p.sb.dir, "state", "omk", "projects");
    const dirs = existsSync(projects)
      ? readdirSync(projects).flatMap((proj) => {
          const g = join(projects, proj, "goals");
          return existsSync(g) ? readdirSync(g).map((id) => join(g, id)) : [];
        })
      : [];
    return dirs[0] ?? "";
  }

  const start = () =>
    p.omk(execGoalArgs(plan, agent, "--lanes", "1", "x"), {
      timeoutMs: 120_000,
      env: { OMK_GOAL_INTERRUPT_POLL_MS: "50" },
    });

  it("pause lets the running task finish and starts no more; resume finishes the goal; logs tell it", async () => {
    const running = start();
    const dir = await waitFor("task a's run", () => {
      const d = goalDir();
      return d && kinds(ledgerLines(d)).includes("TaskRunStarted") ? d : null;
    });
    const goalId = dir.split("/").at(-1)!;
    const pause = await p.omk(["goal", "pause", goalId, "--json"]);
    expect(pause.code, pause.stderr).toBe(0);
    expect(pause.json<{ status: string }>().status).toBe("paused");
    const r = await running;
    expect(r.code).toBe(130);
    expect(r.json<{ status: string }>().status).toBe("paused");
    const lines = ledgerLines(dir);
    expect(ofKind(lines, "IntegrationMerged").map((l) => l.data["taskId"])).toEqual(["a"]);
    expect(ofKind(lines, "TaskClaimed").map((l) => l.data["taskId"])).toEqual(["a"]);
    expect(kinds(lines).at(-1)).toBe("GoalPaused");

    const resumed = await p.omk(["goal", "resume", goalId, "--json"], { timeoutMs: 120_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json<{ status: string }>().status).toBe("ready");
    expect(ofKind(ledgerLines(dir), "IntegrationMerged").map((l) => l.data["taskId"])).toEqual([
      "a",
      "b",
      "c",
    ]);

    const logs = await p.omk(["goal", "logs", goalId]);
    expect(logs.stdout).toContain("integrated a");
    expect(logs.stdout).toContain("integrated c");
    const taskLogs = await p.omk(["goal", "logs", goalId, "--task", "b"]);
    expect(taskLogs.stdout).toContain("agent output of b");

    const budget = await p.omk(["goal", "budget", goalId, "--json"]);
    const b = budget.json<{
      tasks: { id: string; runs: number; attempts: number }[];
      total: { runs: number };
    }>();
    expect(b.tasks.map((t) => [t.id, t.runs, t.attempts])).toEqual([
      ["a", 1, 1],
      ["b", 1, 1],
      ["c", 1, 1],
    ]);
    expect(b.total.runs).toBe(3);
  });

  it("cancel interrupts the running task's run and ends the goal cancelled, with its proof", async () => {
    // Long enough that only the cancel can end task a's run.
    agent = p.script("slow", `await new Promise((r) => setTimeout(r, 60_000));\n`);
    const running = start();
    const dir = await waitFor("task a's run", () => {
      const d = goalDir();
      return d && kinds(ledgerLines(d)).includes("TaskRunStarted") ? d : null;
    });
    const goalId = dir.split("/").at(-1)!;
    const cancel = await p.omk(["goal", "cancel", goalId, "--json"]);
    expect(cancel.json<{ status: string }>().status).toBe("cancelled");
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.json<{ status: string }>().status).toBe("cancelled");
    const lines = ledgerLines(dir);
    expect(ofKind(lines, "IntegrationMerged")).toEqual([]);
    expect(kinds(lines).slice(-2)).toEqual(["GoalFinished", "GoalProofWritten"]);
    const runId = ofKind(lines, "TaskRunStarted")[0]!.data["runId"] as string;
    expect(kinds(p.ledger(runId))).toContain("RunInterrupted");
    // The task's run is the goal's: resuming it alone would drive an agent in a pooled lane.
    const events = p.ledger(runId).length;
    const resume = await p.omk(["run", "resume", runId]);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(/is a task of a goal and did not finish/);
    expect(resume.stderr).toContain("omk goal resume");
    expect(p.ledger(runId)).toHaveLength(events);
    expect(existsSync(join(dir, "control.json"))).toBe(false);
    // A finished goal: cancelling again changes nothing.
    const again = await p.omk(["goal", "cancel", goalId, "--json"]);
    expect(again.json<{ changed: boolean }>().changed).toBe(false);
  });
});

describe("omk run rm of a goal task's run", () => {
  let p: Project;
  afterEach(async () => {
    await p.cleanup();
  });

  it("keeps the goal's lane, where the next task is working, and the goal still finishes", async () => {
    p = await project({ "README.md": "rm base\n" });
    const plan = join(p.sb.dir, "plan.json");
    writeFileSync(plan, JSON.stringify({ tasks: [t("a", []), t("b", ["a"])] }));
    // b works long enough for the rm to land while it does, in the lane a used.
    const agent = p.script(
      "lane",
      `import { writeFileSync } from "node:fs";
await new Promise((r) => setTimeout(r, process.env.OMK_GOAL_TASK === "b" ? 3000 : 100));
writeFileSync(process.env.OMK_GOAL_TASK + ".txt", "ok\\n");
`,
    );
    const running = p.omk(execGoalArgs(plan, agent, "--lanes", "1", "x"), {
      timeoutMs: 120_000,
      env: { OMK_GOAL_INTERRUPT_POLL_MS: "50" },
    });
    const projects = join(p.sb.dir, "state", "omk", "projects");
    const dir = await waitFor("task b's run", () => {
      for (const proj of existsSync(projects) ? readdirSync(projects) : []) {
        const g = join(projects, proj, "goals");
        for (const id of existsSync(g) ? readdirSync(g) : [])
          if (ofKind(ledgerLines(join(g, id)), "TaskRunStarted").length === 2) return join(g, id);
      }
      return null;
    });
    const started = ofKind(ledgerLines(dir), "TaskRunStarted");
    const runA = started.find((l) => l.data["taskId"] === "a")!.data["runId"] as string;
    // The project's first lane worktree: this goal is the only one, and runs one task at a time.
    const lane = join(p.repo.root, ".omk", "worktrees", "lane-0");
    const rm = await p.omk(["run", "rm", runA, "--json"]);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.json<{ worktree: string | null; keptWorktree: string | null }>()).toMatchObject({
      worktree: null,
      keptWorktree: lane,
    });
    expect(existsSync(join(lane, ".git"))).toBe(true);
    const r = await running;
    expect(r.json<{ status: string }>().status, r.stderr).toBe("ready");
    expect(ofKind(ledgerLines(dir), "IntegrationMerged").map((l) => l.data["taskId"])).toEqual(["a", "b"]);
  });
});

describe("omk goal leases", () => {
  let p: Project;
  afterEach(async () => {
    await p.cleanup();
  });

  it("an agent silent past its lease is interrupted and its task retried; a second expiry blocks it", async () => {
    p = await project({ "README.md": "lease base\n" });
    const marker = join(p.sb.dir, "hung-once");
    const plan = join(p.sb.dir, "plan.json");
    writeFileSync(plan, JSON.stringify({ tasks: [t("flaky"), t("stuck")] }));
    // flaky hangs on its first run only; stuck always hangs. Neither prints anything while it hangs.
    const agent = p.script(
      "hang",
      `import { existsSync, writeFileSync } from "node:fs";
const id = process.env.OMK_GOAL_TASK;
const hang = id === "stuck" || !existsSync(${JSON.stringify(marker)});
if (id === "flaky") writeFileSync(${JSON.stringify(marker)}, "x");
if (hang) await new Promise((r) => setTimeout(r, 120_000));
writeFileSync(id + ".txt", "ok\\n");
`,
    );
    const r = await p.omk(execGoalArgs(plan, agent, "--lanes", "2", "leases"), {
      timeoutMs: 120_000,
      env: { OMK_GOAL_AGENT_LEASE_SECS: "5" },
    });
    const doc = r.json<{ goalId: string; status: string; tasks: { id: string; status: string }[] }>();
    expect(doc.status, r.stderr).toBe("blocked");
    expect(Object.fromEntries(doc.tasks.map((x) => [x.id, x.status]))).toEqual({
      flaky: "integrated",
      stuck: "blocked",
    });
    const projects = join(p.sb.dir, "state", "omk", "projects");
    const dir = join(projects, readdirSync(projects)[0]!, "goals", doc.goalId);
    const lines = ledgerLines(dir);
    const expired = ofKind(lines, "LeaseExpired").map((l) => l.data["taskId"]);
    expect(expired.sort()).toEqual(["flaky", "stuck", "stuck"]);
    expect(
      ofKind(lines, "TaskRequeued")
        .map((l) => l.data["taskId"])
        .sort(),
    ).toEqual(["flaky", "stuck"]);
    const runsOf = (id: string) => ofKind(lines, "TaskRunStarted").filter((l) => l.data["taskId"] === id);
    expect(runsOf("flaky")).toHaveLength(2);
    expect(runsOf("stuck")).toHaveLength(2);
    // The hung run was interrupted, its ledger says so; the retry is the one that was integrated.
    const [first, second] = runsOf("flaky").map((l) => l.data["runId"] as string);
    expect(kinds(p.ledger(first!))).toContain("RunInterrupted");
    expect(ofKind(lines, "IntegrationMerged")[0]!.data["runId"]).toBe(second);
    expect(ofKind(lines, "TaskBlocked")[0]!.data["reason"]).toContain("lease expired 2 times");
  });
});
