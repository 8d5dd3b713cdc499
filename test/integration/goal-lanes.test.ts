import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { alive, execGoalArgs, ledgerLines, type Project, project, waitFor } from "../helpers/project.js";

const task = (id: string) => ({
  id,
  title: `task ${id}`,
  prompt: `write ${id}.txt`,
  deps: [],
  read_set: [],
  write_set: [`${id}.txt`],
});

interface Call {
  id: string;
  goal: string;
  cwd: string;
  /** What the lane held under `ignored/` when the agent started. */
  found: string[];
}

/**
 * Lanes are pooled per project: a goal holds lane worktrees while it runs and leaves them for the
 * next goal, which resets them instead of checking the tree out again.
 */
describe("omk goal lanes", () => {
  let p: Project;
  let log: string;
  let agent: string;
  beforeEach(async () => {
    p = await project({ "README.md": "lanes base\n", ".gitignore": ".omk/worktrees/\nignored/\n" });
    log = join(p.sb.dir, "calls.jsonl");
    // Logs where it works and what it finds, leaves an ignored file behind (never part of a commit),
    // waits when told to, and writes its task's file.
    agent = p.script(
      "lane-agent",
      `import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
const id = process.env.OMK_GOAL_TASK;
const found = existsSync("ignored") ? readdirSync("ignored") : [];
appendFileSync(${JSON.stringify(log)}, JSON.stringify({ id, goal: process.env.OMK_GOAL_ID, cwd: process.cwd(), found }) + "\\n");
mkdirSync("ignored", { recursive: true });
writeFileSync("ignored/left-by-" + id, "x");
await new Promise((r) => setTimeout(r, Number(process.env.OMK_TEST_AGENT_SLEEP_MS ?? 0)));
const release = process.env.OMK_TEST_AGENT_WAIT_FOR;
while (release && !existsSync(release)) await new Promise((r) => setTimeout(r, 20));
writeFileSync(id + ".txt", "ok\\n");
`,
    );
  });
  afterEach(async () => {
    await p.cleanup();
  });

  function calls(): Call[] {
    return existsSync(log)
      ? readFileSync(log, "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as Call)
      : [];
  }

  function goal(ids: string[], lanes: number, env: Record<string, string> = {}) {
    const plan = join(p.sb.dir, `plan-${ids.join("")}.json`);
    writeFileSync(plan, JSON.stringify({ tasks: ids.map(task) }));
    return p.omk(execGoalArgs(plan, agent, "--lanes", String(lanes), "g"), { timeoutMs: 120_000, env });
  }

  const laneDir = (n: number) => join(p.repo.root, ".omk", "worktrees", `lane-${n}`);
  const gitFileId = (n: number) => {
    const st = statSync(join(laneDir(n), ".git"));
    return `${st.ino}:${st.birthtimeMs}`;
  };

  it("a later goal resets the lanes an earlier one left, and its agents find nothing of the earlier ones", async () => {
    const first = await goal(["a", "b"], 2, { OMK_TEST_AGENT_SLEEP_MS: "300" });
    expect(first.json<{ status: string }>().status, first.stderr).toBe("ready");
    // The lanes stay after the goal, with what its agents left in them.
    expect(existsSync(join(laneDir(0), "ignored"))).toBe(true);
    const ids = [gitFileId(0), gitFileId(1)];

    const second = await goal(["c", "d"], 2, { OMK_TEST_AGENT_SLEEP_MS: "300" });
    expect(second.json<{ status: string }>().status, second.stderr).toBe("ready");
    const later = calls().filter((c) => c.id === "c" || c.id === "d");
    expect(later).toHaveLength(2);
    for (const c of later) {
      expect([laneDir(0), laneDir(1)]).toContain(c.cwd);
      expect(c.found).toEqual([]);
    }
    // The same worktrees, reset: git did not check them out again.
    expect([gitFileId(0), gitFileId(1)]).toEqual(ids);
    expect(existsSync(laneDir(2))).toBe(false);
  });

  it("attack: a lane's agent that edits the main checkout as both lanes' turns end together is caught by its own run", async () => {
    // Both agents are released at once and end together; "evil" edits the main checkout just before
    // it exits, so the runs' checks of the main checkout overlap (and share git statuses). Whatever
    // they share, the evil run must see the edit and be blocked. This is the end-to-end guarantee;
    // that a shared status always starts after the caller asked is pinned in fingerprint.test.ts
    // (here the check after the gates would also catch an edit a shared status missed).
    const release = join(p.sb.dir, "release-together");
    const readme = join(p.repo.root, "README.md");
    const together = p.script(
      "together-agent",
      `import { appendFileSync, existsSync, writeFileSync } from "node:fs";
const id = process.env.OMK_GOAL_TASK;
appendFileSync(${JSON.stringify(log)}, JSON.stringify({ id, goal: process.env.OMK_GOAL_ID, cwd: process.cwd(), found: [] }) + "\\n");
while (!existsSync(${JSON.stringify(release)})) await new Promise((r) => setTimeout(r, 5));
writeFileSync(id + ".txt", "ok\\n");
if (id === "evil") writeFileSync(${JSON.stringify(readme)}, "changed by a lane's agent\\n");
`,
    );
    const plan = join(p.sb.dir, "plan-together.json");
    writeFileSync(plan, JSON.stringify({ tasks: [task("good"), task("evil")] }));
    const running = p.omk(execGoalArgs(plan, together, "--lanes", "2", "g"), { timeoutMs: 120_000 });
    await waitFor("both agents", () => calls().length === 2);
    writeFileSync(release, "");
    const r = await running;
    const doc = r.json<{ status: string; tasks: { id: string; status: string; runId: string | null }[] }>();
    expect(doc.status, r.stderr).not.toBe("ready");
    const evil = doc.tasks.find((t) => t.id === "evil");
    expect(evil?.status).not.toBe("integrated");
    const tampered = ledgerLines(p.runDir(evil!.runId!)).filter((l) => l.kind === "RepoTampered");
    expect(tampered.length).toBeGreaterThan(0);
    expect(JSON.stringify(tampered[0]!.data)).toContain("README.md");
  });

  it("a lane whose .git names a git dir of someone else's is created again, and that git dir is never used", async () => {
    const first = await goal(["a"], 1);
    expect(first.json<{ status: string }>().status, first.stderr).toBe("ready");
    // What an agent process that outlived the goal could do: point the lane at a git dir of its own.
    const real = readFileSync(join(laneDir(0), ".git"), "utf8")
      .replace(/^gitdir: /, "")
      .trim();
    const evil = join(p.sb.dir, "evil-gitdir");
    mkdirSync(evil);
    cpSync(real, evil, { recursive: true });
    writeFileSync(join(evil, "config.worktree"), "[core]\n\tworktree = /tmp\n");
    writeFileSync(join(laneDir(0), ".git"), `gitdir: ${evil}\n`);
    const before = statSync(join(evil, "index")).mtimeMs;

    const second = await goal(["b"], 1);
    expect(second.json<{ status: string }>().status, second.stderr).toBe("ready");
    expect(calls().find((c) => c.id === "b")?.cwd).toBe(laneDir(0));
    const now = readFileSync(join(laneDir(0), ".git"), "utf8");
    expect(now).not.toContain(evil);
    expect(now).toContain(join(p.repo.root, ".git", "worktrees"));
    expect(statSync(join(evil, "index")).mtimeMs).toBe(before);
  });

  it("cleanup --workspaces removes the idle lanes and gate workspaces, keeps those in use, and later goals check them out again", async () => {
    const first = await goal(["a"], 1);
    expect(first.json<{ status: string }>().status, first.stderr).toBe("ready");
    const gates = join(p.repo.root, ".omk", "worktrees", "gates-0");
    expect(existsSync(laneDir(0)) && existsSync(gates)).toBe(true);

    // While a goal holds lane-0 (and maybe a gate workspace), only what it does not hold goes.
    const release = join(p.sb.dir, "release-b");
    const slow = goal(["b"], 1, { OMK_TEST_AGENT_WAIT_FOR: release });
    await waitFor("the running goal's agent", () => calls().some((c) => c.id === "b"));
    const busy = await p.omk(["cleanup", "--workspaces", "--json"]);
    writeFileSync(release, "");
    expect(busy.code, busy.stderr).toBe(0);
    const held = busy.json<{ workspaces: { dir: string; action: string }[] }>().workspaces;
    expect(held).toContainEqual(expect.objectContaining({ dir: laneDir(0), action: "kept" }));
    expect(existsSync(join(laneDir(0), ".git"))).toBe(true);
    expect((await slow).json<{ status: string }>().status).toBe("ready");

    const idle = await p.omk(["cleanup", "--workspaces", "--json"]);
    expect(idle.code, idle.stderr).toBe(0);
    expect(idle.json<{ workspaces: { dir: string; action: string }[] }>().workspaces).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ dir: laneDir(0), action: "removed" }),
        expect.objectContaining({ dir: gates, action: "removed" }),
      ]),
    );
    expect(existsSync(laneDir(0)) || existsSync(gates)).toBe(false);
    const listed = p.repo.git(["worktree", "list", "--porcelain"]);
    expect(listed).not.toContain(laneDir(0));
    expect(listed).not.toContain(gates);

    const again = await goal(["c"], 1);
    expect(again.json<{ status: string }>().status, again.stderr).toBe("ready");
    expect(calls().find((c) => c.id === "c")?.cwd).toBe(laneDir(0));
  });

  it("cleanup --all stops what a SIGKILLed goal's task left running in its lane, and keeps the lane", async () => {
    const pidFile = join(p.sb.dir, "agent.pid");
    const hanger = p.script(
      "hanger",
      `import { writeFileSync } from "node:fs";
writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
await new Promise((r) => setTimeout(r, 120_000));
`,
    );
    const plan = join(p.sb.dir, "plan-hang.json");
    writeFileSync(plan, JSON.stringify({ tasks: [task("a")] }));
    let omkPid = 0;
    const running = p.omk(execGoalArgs(plan, hanger, "--lanes", "1", "g"), {
      onSpawn: (pid) => (omkPid = pid),
      timeoutMs: 60_000,
    });
    const agentPid = Number(
      await waitFor("the agent", () => existsSync(pidFile) && readFileSync(pidFile, "utf8")),
    );
    try {
      process.kill(omkPid, "SIGKILL");
      await running;
      // A SIGKILLed omk cannot stop its children: the agent works on in the lane.
      expect(alive(agentPid)).toBe(true);
      const r = await p.omk(["cleanup", "--all", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json<{ items: { action: string }[] }>().items).toEqual([
        expect.objectContaining({ action: "recovered" }),
      ]);
      await waitFor("the agent's end", () => !alive(agentPid), 10_000);
      expect(existsSync(join(laneDir(0), ".git"))).toBe(true);
    } finally {
      if (alive(agentPid)) process.kill(agentPid, "SIGKILL");
    }
  });

  it("two goals running at once in one project hold different lanes", async () => {
    // The first goal's agent works until the second goal has finished.
    const release = join(p.sb.dir, "release-a");
    const slow = goal(["a"], 1, { OMK_TEST_AGENT_WAIT_FOR: release });
    await waitFor("the first goal's agent", () => calls().some((c) => c.id === "a"));
    const fast = await goal(["b"], 1);
    writeFileSync(release, "");
    expect(fast.json<{ status: string }>().status, fast.stderr).toBe("ready");
    const r = await slow;
    expect(r.json<{ status: string }>().status, r.stderr).toBe("ready");
    const [a, b] = [calls().find((c) => c.id === "a")!, calls().find((c) => c.id === "b")!];
    expect(a.goal).not.toBe(b.goal);
    expect(new Set([a.cwd, b.cwd])).toEqual(new Set([laneDir(0), laneDir(1)]));
  });
});
