import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  kinds,
  type LedgerLine,
  ledgerLines,
  ledgerProblems,
  ofKind,
  type Project,
  project,
} from "../helpers/project.js";

interface GoalDoc {
  goalId: string;
  status: string;
  reasons: string[];
  integrationBranch: string;
  headCommit: string;
  proofPath: string | null;
  tasks: { id: string; status: string; runId: string | null; lane: number | null; runs: number }[];
  rejected: { id: string; rule: string }[];
}

type Spec = Record<string, { files?: Record<string, string>; sleepMs?: number; shell?: string[] }>;

const task = (id: string, deps: string[], writeSet: string[], readSet: string[] = []) => ({
  id,
  title: `task ${id}`,
  prompt: `write the files of ${id}`,
  deps,
  read_set: readSet,
  write_set: writeSet,
});

describe("omk goal", () => {
  let p: Project;
  let log: string;
  beforeEach(async () => {
    p = await project({ "README.md": "goal base\n" });
    log = join(p.sb.dir, "agent-log.jsonl");
  });
  afterEach(async () => {
    await p.cleanup();
  });

  /** One exec agent for every task: what it writes is looked up by OMK_GOAL_TASK; each call is logged. */
  function agent(spec: Spec): string {
    return p.script(
      "goal-agent",
      `import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
const spec = ${JSON.stringify(spec)};
const id = process.env.OMK_GOAL_TASK;
const t = spec[id] ?? {};
appendFileSync(${JSON.stringify(log)}, JSON.stringify({ id, lane: process.env.OMK_LANE, port: process.env.OMK_PORT_BASE, cwd: process.cwd() }) + "\\n");
await new Promise((r) => setTimeout(r, t.sleepMs ?? 0));
for (const [f, c] of Object.entries(t.files ?? {})) {
  mkdirSync(dirname(f), { recursive: true });
  writeFileSync(f, c);
}
`,
    );
  }

  function planFile(tasks: unknown[]): string {
    const file = join(p.sb.dir, `plan-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ tasks }));
    return file;
  }

  async function goalRun(tasks: unknown[], spec: Spec, args: string[] = []) {
    const r = await p.omk(
      [
        "goal",
        "run",
        "--json",
        "--plan",
        planFile(tasks),
        "--agent",
        "exec",
        "--agent-bin",
        agent(spec),
        ...args,
        "the goal",
      ],
      { timeoutMs: 240_000 },
    );
    return { r, doc: r.code === 2 ? null : r.json<GoalDoc>() };
  }

  function goalDir(goalId: string): string {
    const projects = join(p.sb.dir, "state", "omk", "projects");
    for (const proj of readdirSync(projects)) {
      const d = join(projects, proj, "goals", goalId);
      if (existsSync(d)) return d;
    }
    throw new Error(`no goal dir for ${goalId}`);
  }

  function agentCalls(): { id: string; lane: string; port: string; cwd: string }[] {
    return existsSync(log)
      ? readFileSync(log, "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l))
      : [];
  }

  it("runs a diamond of 6 tasks on 3 lanes to ready, integrating each exactly once; accept lands it", async () => {
    const ids = ["a", "b", "c", "d", "e", "f"];
    const tasks = [
      task("a", [], ["a.txt"]),
      task("b", ["a"], ["b.txt"]),
      task("c", ["a"], ["c.txt"]),
      task("d", ["a"], ["d.txt"]),
      task("e", ["b", "c"], ["e.txt"]),
      task("f", ["d", "e"], ["f.txt"]),
    ];
    const spec = Object.fromEntries(
      ids.map((id) => [id, { files: { [`${id}.txt`]: `ok ${id}\n` }, sleepMs: 200 }]),
    );
    const { r, doc } = await goalRun(tasks, spec, ["--lanes", "3"]);
    expect(r.code, r.stderr).toBe(0);
    expect(doc!.status).toBe("ready");
    expect(doc!.tasks.map((t) => [t.id, t.status])).toEqual(ids.map((id) => [id, "integrated"]));

    const dir = goalDir(doc!.goalId);
    expect(await ledgerProblems(dir)).toEqual([]);
    const lines = ledgerLines(dir);
    const merged = ofKind(lines, "IntegrationMerged").map((l) => l.data["taskId"]);
    expect([...merged].sort()).toEqual(ids);
    // Deps integrate first: a before b, c, d; b and c before e; d and e before f.
    const at = (id: string) => merged.indexOf(id);
    for (const [x, y] of [
      ["a", "b"],
      ["a", "c"],
      ["a", "d"],
      ["b", "e"],
      ["c", "e"],
      ["d", "f"],
      ["e", "f"],
    ] as const)
      expect(at(x)).toBeLessThan(at(y));
    expect(kinds(lines).at(-1)).toBe("GoalProofWritten");

    // The integration branch holds every task's file; the main checkout has not moved.
    const files = p.repo.git(["ls-tree", "--name-only", doc!.integrationBranch]).split("\n");
    for (const id of ids) expect(files).toContain(`${id}.txt`);
    expect(p.repo.git(["rev-parse", doc!.integrationBranch])).toBe(doc!.headCommit);
    expect(p.repo.git(["rev-parse", "HEAD"])).toBe(p.base);

    // Each task's run: its own ledger that verifies, on a lane with its own port range.
    for (const t of doc!.tasks) expect(await ledgerProblems(p.runDir(t.runId!))).toEqual([]);
    const calls = agentCalls();
    expect(calls.map((c) => c.id).sort()).toEqual(ids);
    // Each lane works in one pooled lane worktree of the project, its own.
    const dirOfLane = new Map<string, string>();
    for (const c of calls) {
      expect(["0", "1", "2"]).toContain(c.lane);
      expect(Number(c.port)).toBe(20_000 + 100 * Number(c.lane));
      expect(c.cwd).toMatch(/[/]\.omk[/]worktrees[/]lane-\d+$/);
      expect(dirOfLane.get(c.lane) ?? c.cwd).toBe(c.cwd);
      dirOfLane.set(c.lane, c.cwd);
    }
    expect(new Set(dirOfLane.values()).size).toBe(dirOfLane.size);
    expect(new Set(calls.map((c) => c.lane)).size).toBeGreaterThan(1);

    const proof = JSON.parse(readFileSync(doc!.proofPath!, "utf8"));
    expect(proof.schema).toBe("omk.goal-proof/v1");
    expect(proof.status).toBe("ready");
    for (const t of proof.tasks) expect(t.runProofSha256).toMatch(/^[0-9a-f]{64}$/);

    const show = await p.omk(["goal", "show", doc!.goalId, "--json"]);
    expect(show.json<{ status: string }>().status).toBe("ready");

    const acc = await p.omk(["goal", "accept", doc!.goalId, "--json"]);
    expect(acc.code, acc.stderr).toBe(0);
    expect(p.repo.git(["rev-parse", "HEAD"])).toBe(doc!.headCommit);
    const again = await p.omk(["goal", "accept", doc!.goalId, "--json"]);
    expect(again.json<{ alreadyAccepted: boolean }>().alreadyAccepted).toBe(true);
  });

  it("never runs two tasks with overlapping write sets at the same time (from the ledgers' timestamps)", async () => {
    const tasks = [
      task("x", [], ["shared/**"]),
      task("y", [], ["shared/y.txt"]),
      task("z", [], ["z.txt"], ["shared/**"]),
      task("w", [], ["w.txt"]),
    ];
    const spec: Spec = {
      x: { files: { "shared/x.txt": "ok\n" }, sleepMs: 400 },
      y: { files: { "shared/y.txt": "ok\n" }, sleepMs: 400 },
      z: { files: { "z.txt": "ok\n" }, sleepMs: 400 },
      w: { files: { "w.txt": "ok\n" }, sleepMs: 400 },
    };
    const { r, doc } = await goalRun(tasks, spec, ["--lanes", "4"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = ledgerLines(goalDir(doc!.goalId));
    // A task occupies its files from its claim until it is integrated.
    const span = (id: string) => {
      const claimed = ofKind(lines, "TaskClaimed").find((l) => l.data["taskId"] === id)!;
      const merged = ofKind(lines, "IntegrationMerged").find((l) => l.data["taskId"] === id)!;
      return [claimed.seq, merged.seq, ts(claimed), ts(merged)] as const;
    };
    const disjoint = (a: string, b: string) => {
      const [as, ae, ats, ate] = span(a);
      const [bs, be, bts, bte] = span(b);
      expect(ae < bs || be < as).toBe(true);
      expect(ate <= bts || bte <= ats).toBe(true);
    };
    disjoint("x", "y");
    disjoint("x", "z");
    disjoint("y", "z");
    // The run ledgers agree: the agent turns of x and y do not overlap either.
    const runSpan = (id: string) => {
      const rl = p.ledger(doc!.tasks.find((t) => t.id === id)!.runId!);
      return [ts(rl[0]!), ts(rl.at(-1)!)];
    };
    const [xs, xe] = runSpan("x");
    const [ys, ye] = runSpan("y");
    expect(xe! <= ys! || ye! <= xs!).toBe(true);
    // w conflicts with nothing: it was claimed with the first batch, before anything was integrated.
    const firstMerge = ofKind(lines, "IntegrationMerged")[0]!.seq;
    const claimedEarly = ofKind(lines, "TaskClaimed")
      .filter((l) => l.seq < firstMerge)
      .map((l) => l.data["taskId"]);
    expect(claimedEarly).toContain("w");
    expect(claimedEarly.length).toBeGreaterThan(1);
  });

  it("rejects a task whose change leaves its write set, and blocks what depends on it", async () => {
    const tasks = [
      task("good", [], ["good.txt"]),
      task("sneaky", [], ["mine.txt"]),
      task("after", ["sneaky"], ["after.txt"]),
    ];
    const spec: Spec = {
      good: { files: { "good.txt": "ok\n" } },
      sneaky: { files: { "mine.txt": "ok\n", "README.md": "taken over\n" } },
      after: { files: { "after.txt": "ok\n" } },
    };
    const { r, doc } = await goalRun(tasks, spec, ["--lanes", "2"]);
    expect(r.code).toBe(1);
    expect(doc!.status).toBe("blocked");
    const st = Object.fromEntries(doc!.tasks.map((t) => [t.id, t.status]));
    expect(st).toEqual({ good: "integrated", sneaky: "blocked", after: "blocked" });
    const lines = ledgerLines(goalDir(doc!.goalId));
    const v = ofKind(lines, "WriteSetViolation");
    expect(v.map((l) => [l.data["taskId"], l.data["paths"]])).toEqual([["sneaky", ["README.md"]]]);
    expect(ofKind(lines, "IntegrationMerged").map((l) => l.data["taskId"])).toEqual(["good"]);
    expect(p.repo.git(["show", `${doc!.integrationBranch}:README.md`])).toBe("goal base");
    expect(agentCalls().map((c) => c.id)).not.toContain("after");
    const acc = await p.omk(["goal", "accept", doc!.goalId]);
    expect(acc.code).toBe(1);
    expect(acc.stderr).toContain("LAND_REFUSED");
  });

  it("detects a planted merge conflict with merge-tree, re-runs the task once on the new head, then blocks it", async () => {
    // "x" as a file and "x/y.txt" as a file under a directory "x": disjoint sets, but no tree can hold both.
    const tasks = [task("file", [], ["x"]), task("dir", [], ["x/y.txt"])];
    const spec: Spec = {
      file: { files: { x: "a file\n" }, sleepMs: 100 },
      dir: { files: { "x/y.txt": "ok\n" }, sleepMs: 100 },
    };
    const { r, doc } = await goalRun(tasks, spec, ["--lanes", "2", "--max-attempts", "1"]);
    expect(r.code).toBe(1);
    expect(doc!.status).toBe("blocked");
    const lines = ledgerLines(goalDir(doc!.goalId));
    const conflicts = ofKind(lines, "IntegrationConflict");
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]!.data["retry"]).toBe(true);
    const loser = conflicts[0]!.data["taskId"] as string;
    const winner = loser === "file" ? "dir" : "file";
    expect(ofKind(lines, "IntegrationMerged").map((l) => l.data["taskId"])).toEqual([winner]);
    // The loser ran a second time, from the head that holds the winner, and could not be merged.
    expect(ofKind(lines, "TaskClaimed").filter((l) => l.data["taskId"] === loser)).toHaveLength(2);
    expect(doc!.tasks.find((t) => t.id === loser)!.status).toBe("blocked");
    // Nothing was overwritten: the integration branch holds exactly the winner's change.
    expect(p.repo.git(["diff", "--name-only", p.base, doc!.integrationBranch])).toBe(
      winner === "file" ? "x" : "x/y.txt",
    );
  });

  it("stops before any work on a rejected proposal (exit 2), and goes ahead with --accept-partial", async () => {
    const tasks = [
      task("ok1", [], ["ok1.txt"]),
      { ...task("pub", [], ["pub.txt"]), title: "publish the package" },
    ];
    const spec: Spec = { ok1: { files: { "ok1.txt": "ok\n" } }, pub: { files: { "pub.txt": "ok\n" } } };
    const refused = await goalRun(tasks, spec);
    expect(refused.r.code).toBe(2);
    expect(refused.r.stderr).toContain("PLAN_INVALID");
    expect(refused.r.stderr).toContain("publishing_intent");
    expect(agentCalls()).toEqual([]);

    const partial = await goalRun(tasks, spec, ["--accept-partial"]);
    expect(partial.r.code, partial.r.stderr).toBe(0);
    expect(partial.doc!.tasks.map((t) => t.id)).toEqual(["ok1"]);
    expect(partial.doc!.rejected.map((x) => [x.id, x.rule])).toEqual([['"pub"', "publishing_intent"]]);
    const lines = ledgerLines(goalDir(partial.doc!.goalId));
    expect(ofKind(lines, "TaskRejected")).toHaveLength(1);
  });

  it("attack: an agent that moves the integration branch stops the goal; nothing is built on the moved ref", async () => {
    const tasks = [
      task("a", [], ["a.txt"]),
      task("evil", ["a"], ["evil.txt"]),
      task("c", ["evil"], ["c.txt"]),
    ];
    const mover = p.script(
      "mover",
      `import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
const id = process.env.OMK_GOAL_TASK;
writeFileSync(id + ".txt", "ok " + id + "\\n");
if (id === "evil") {
  const git = (...a) => execFileSync("git", ["-c", "user.name=x", "-c", "user.email=x@x", ...a], { encoding: "utf8" }).trim();
  git("add", "evil.txt");
  git("commit", "-q", "-m", "evil");
  git("update-ref", "refs/heads/omk/goal/" + process.env.OMK_GOAL_ID + "/integration", "HEAD");
}
`,
    );
    const r = await p.omk(
      ["goal", "run", "--json", "--plan", planFile(tasks), "--agent", "exec", "--agent-bin", mover, "x"],
      {
        timeoutMs: 240_000,
      },
    );
    const doc = r.json<GoalDoc>();
    expect(r.code).toBe(1);
    expect(doc.status).toBe("blocked");
    expect(doc.reasons.join("\n")).toContain("moved outside omk");
    const lines = ledgerLines(goalDir(doc.goalId));
    expect(ofKind(lines, "IntegrationMerged").map((l) => l.data["taskId"])).toEqual(["a"]);
    expect(Object.fromEntries(doc.tasks.map((t) => [t.id, t.status]))).toEqual({
      a: "integrated",
      evil: "blocked",
      c: "blocked",
    });
    // The goal's recorded head is a's merge, not the agent's commit; accept refuses a blocked goal.
    expect(doc.headCommit).toBe(ofKind(lines, "IntegrationMerged")[0]!.data["head"]);
    expect(p.repo.git(["rev-parse", doc.integrationBranch])).not.toBe(doc.headCommit);
    const acc = await p.omk(["goal", "accept", doc.goalId]);
    expect(acc.code).toBe(1);
    expect(p.repo.git(["rev-parse", "HEAD"])).toBe(p.base);
  });

  it("attack, confined: with --sandbox required a lane's agent cannot move the integration branch at all", async () => {
    const tasks = [task("a", [], ["a.txt"]), task("evil", ["a"], ["evil.txt"])];
    const mover = p.script(
      "mover-confined",
      `import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
const id = process.env.OMK_GOAL_TASK;
writeFileSync(id + ".txt", "ok " + id + "\\n");
if (id === "evil") {
  let moved = "moved";
  try {
    execFileSync("git", ["update-ref", "refs/heads/omk/goal/" + process.env.OMK_GOAL_ID + "/integration", "HEAD"], { stdio: "ignore" });
  } catch {
    moved = "refused";
  }
  console.log("update-ref: " + moved);
}
`,
    );
    const r = await p.omk(
      [
        "goal",
        "run",
        "--json",
        "--sandbox",
        "required",
        "--plan",
        planFile(tasks),
        "--agent",
        "exec",
        "--agent-bin",
        mover,
        "x",
      ],
      { timeoutMs: 240_000 },
    );
    const doc = r.json<GoalDoc>();
    expect(doc.status, r.stderr).toBe("ready");
    const lines = ledgerLines(goalDir(doc.goalId));
    expect(ofKind(lines, "IntegrationMerged").map((l) => l.data["taskId"])).toEqual(["a", "evil"]);
    expect(p.repo.git(["rev-parse", doc.integrationBranch])).toBe(doc.headCommit);
    const evilRun = doc.tasks.find((t) => t.id === "evil")!.runId!;
    expect(p.ledger(evilRun).map((l) => l.kind)).toContain("Confinement");
    const logs = await p.omk(["goal", "logs", doc.goalId, "--task", "evil"]);
    expect(logs.stdout).toContain("update-ref: refused");
  });
});

function ts(l: LedgerLine): number {
  return Date.parse((l as unknown as { ts: string }).ts);
}
