import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OMK_BIN, omk, sandbox } from "../helpers/cli.js";
import { makeRepo } from "../helpers/git-repo.js";
import { alive, ledgerLines, type Project, project, waitFor } from "../helpers/project.js";

interface ListDoc {
  runs: {
    runId: string;
    status: string;
    attempts: number;
    landed: boolean;
    live: { pid: number; attempt: number | null; phase: string } | null;
    worktreeExists: boolean;
  }[];
}

/** A task that is a line of words, one attempt writes "bad" and the next "ok". */
const TWO_STEP = `import { writeFileSync } from "node:fs";
writeFileSync("a.txt", process.env.OMK_ATTEMPT === "1" ? "bad\\n" : "ok\\n");
`;

describe("everyday use (built CLI)", () => {
  let p: Project;
  beforeEach(async () => {
    p = await project({ "README.md": "base\n" });
  });
  afterEach(async () => {
    await p.cleanup();
  });

  const runTask = (doc: { runId: string }) => ledgerLines(p.runDir(doc.runId))[0]!.data["task"];

  it("run diff: the committed change, --stat, --json and an attempt's recorded patch", async () => {
    const { doc } = await p.execRun(p.script("two-step", TWO_STEP), { task: "write a.txt" });
    expect(doc.status).toBe("ready");

    const diff = await p.omk(["run", "diff", doc.runId]);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain("diff --git a/a.txt b/a.txt");
    expect(diff.stdout).toContain("+ok");
    // It is a patch git applies to the base as is.
    writeFileSync(join(p.sb.dir, "run.patch"), diff.stdout);
    p.repo.git(["apply", "--check", join(p.sb.dir, "run.patch")]);

    const stat = await p.omk(["run", "diff", "last", "--stat"]);
    expect(stat.code).toBe(0);
    expect(stat.stdout).toMatch(/A\s+a\.txt\s+\+1/);
    expect(stat.stdout).toContain("1 file(s), +1 −0");

    const json = await p.omk(["run", "diff", "last", "--json"]);
    expect(json.json()).toMatchObject({
      runId: doc.runId,
      source: "commit",
      base: p.base,
      head: doc.headCommit,
      files: [{ path: "a.txt", status: "A", added: 1, deleted: 0 }],
      added: 1,
      deleted: 0,
    });

    const first = await p.omk(["run", "diff", "last", "--attempt", "1"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("+bad");
    const none = await p.omk(["run", "diff", "last", "--attempt", "9"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/has no attempt 9/);
  });

  it("run list and run show: results on stdout, a header, age, landed column, a word-cut task, removed worktree", async () => {
    const long = `make the parser accept trailing commas in every list it reads ${"and more words ".repeat(10)}`;
    const { doc: ready } = await p.execRun(p.writerAgent("ok", { "a.txt": "ok\n" }), { task: long });
    const { doc: failing } = await p.execRun(p.writerAgent("bad", { "b.txt": "bad\n" }), {
      task: "never ok",
      args: ["-n", "1"],
    });
    expect((await p.omk(["land", ready.runId])).code).toBe(0);

    const list = await p.omk(["run", "list"]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^RUN\s+STARTED\s+AGE\s+STATUS\s+ATT\s+LANDED\s+TASK$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${ready.runId}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+\\d+[smhd]\\s+ready\\s+1\\s+landed\\s+make the parser`,
      ),
    );
    // The task is cut at a word boundary, with an ellipsis.
    const task = lines[1]!.slice(lines[1]!.indexOf("make the parser"));
    expect(task.endsWith("…")).toBe(true);
    expect(long.startsWith(task.slice(0, -1))).toBe(true);
    expect(long[task.length - 1]).toBe(" ");
    expect(lines[2]).toMatch(new RegExp(`^${failing.runId}.*not_ready\\s+1\\s+-\\s+never ok$`));
    // `omk run list | grep ready` finds it: the table is on stdout, not stderr.
    expect(list.stderr).toBe("");

    const show = await p.omk(["run", "show", failing.runId]);
    expect(show.stdout).toContain(`run ${failing.runId}: not_ready`);
    expect(show.stdout).toMatch(/worktree: \//);
    expect((await p.omk(["cleanup"])).code).toBe(0);
    const after = await p.omk(["run", "show", failing.runId]);
    expect(after.stdout).toMatch(/worktree: removed \(was .*\); the branch keeps the run's commit/);
    const doc = (await p.omk(["run", "list", "--json"])).json<ListDoc>();
    expect(doc.runs.map((r) => [r.status, r.landed, r.worktreeExists])).toEqual([
      ["ready", true, false],
      ["not_ready", false, false],
    ]);
  });

  it("a driven run is `running (pid, attempt, phase)`; killed, it is `crashed — omk run resume`", async () => {
    const go = join(p.sb.dir, "go");
    const agentPidFile = join(p.sb.dir, "agent.pid");
    const agent = p.script(
      "blocking",
      `import { existsSync, writeFileSync } from "node:fs";
writeFileSync(${JSON.stringify(agentPidFile)}, String(process.pid));
writeFileSync("a.txt", "ok\\n");
while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 50));
`,
    );
    let pid = 0;
    const exit = p.omk(["run", "--agent", "exec", "--agent-bin", agent, "block", "for", "a", "while"], {
      onSpawn: (x) => {
        pid = x;
      },
    });
    const dir = await p.runDirWhen("AgentStarted");
    const runId = ledgerLines(dir)[0]!.data["runId"] as string;
    const agentPid = await waitFor("the agent", () =>
      existsSync(agentPidFile) ? Number(readFileSync(agentPidFile, "utf8")) : null,
    );
    try {
      const running = (await p.omk(["run", "list", "--json"])).json<ListDoc>().runs[0]!;
      expect(running).toMatchObject({ runId, status: "running", live: { pid, attempt: 1, phase: "agent" } });
      const list = await p.omk(["run", "list"]);
      expect(list.stdout).toContain(`running (pid ${pid}, attempt 1, agent)`);
      expect((await p.omk(["run", "show", runId])).stdout).toContain(
        `run ${runId}: running (pid ${pid}, attempt 1, agent)`,
      );
      // A live run is never removed, closed or pruned under it.
      const rm = await p.omk(["run", "rm", runId]);
      expect(rm.code).toBe(1);
      expect(rm.stderr).toMatch(new RegExp(`run ${runId} is running \\(pid ${pid}`));
      const clean = await p.omk(["cleanup", "--all", "--json"]);
      expect(clean.json<{ items: { action: string; reason: string }[] }>().items).toEqual([
        expect.objectContaining({ action: "kept", reason: expect.stringMatching(/^running/) }),
      ]);
      expect(existsSync(join(p.repo.root, ".omk", "worktrees", runId))).toBe(true);

      process.kill(pid, "SIGKILL");
      await exit;
      const crashed = (await p.omk(["run", "list", "--json"])).json<ListDoc>().runs[0]!;
      expect(crashed).toMatchObject({ runId, status: "crashed", live: null });
      expect((await p.omk(["run", "list"])).stdout).toContain(`crashed — omk run resume ${runId}`);
      expect((await p.omk(["run", "show", runId])).stdout).toContain(
        `run ${runId}: crashed — omk run resume ${runId}`,
      );
    } finally {
      writeFileSync(go, "");
      await exit;
      await waitFor("the agent to end", () => !alive(agentPid), 10_000);
    }
    // Resumed to the end, the run leaves no live.json behind.
    const resumed = await p.omk(["run", "resume", runId, "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(existsSync(join(dir, "live.json"))).toBe(false);
    expect((await p.omk(["proof", "verify", runId, "--no-gates"])).code).toBe(0);
  });

  it("cleanup --branches deletes landed and abandoned run branches, a ready unlanded one only with --force; run rm removes a run", async () => {
    const run = async (name: string, content: string, args: string[] = []) =>
      (await p.execRun(p.writerAgent(name, { [`${name}.txt`]: content }), { task: name, args })).doc;
    const landed = await run("landed", "ok\n");
    expect((await p.omk(["land", landed.runId])).code).toBe(0);
    const abandoned = await run("abandoned", "bad\n", ["-n", "1"]);
    const ready = await run("ready", "ok\n");
    const branch = (id: string) => p.repo.git(["branch", "--list", `omk/run/${id}`]);

    const r = await p.omk(["cleanup", "--branches", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ branches: { runId: string; action: string; reason: string }[] }>();
    expect(doc.branches.map((b) => [b.runId, b.action])).toEqual([
      [landed.runId, "deleted"],
      [abandoned.runId, "deleted"],
      [ready.runId, "kept"],
    ]);
    expect(doc.branches[2]!.reason).toMatch(/--force/);
    expect(branch(landed.runId)).toBe("");
    expect(branch(abandoned.runId)).toBe("");
    expect(branch(ready.runId)).not.toBe("");
    // The records stay.
    expect((await p.omk(["run", "show", abandoned.runId])).code).toBe(0);

    const forced = await p.omk(["cleanup", "--branches", "--force"]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(new RegExp(`deleted\\s+omk/run/${ready.runId}`));
    expect(branch(ready.runId)).toBe("");

    // run rm: worktree, branch and state dir of one run.
    const gone = await run("gone", "ok\n");
    const dir = p.runDir(gone.runId);
    const rm = await p.omk(["run", "rm", gone.runId, "--json"]);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.json()).toMatchObject({
      ok: true,
      runId: gone.runId,
      status: "ready",
      branch: `omk/run/${gone.runId}`,
    });
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(gone.worktree)).toBe(false);
    expect(branch(gone.runId)).toBe("");
    expect((await p.omk(["run", "show", gone.runId])).code).toBe(2);
  });

  it("task input: unquoted words, --task-file FILE and - (200 KB), and a mistyped subcommand refused", async () => {
    const agent = p.writerAgent("ok", { "a.txt": "ok\n" });
    const words = await p.omk([
      "run",
      "--agent",
      "exec",
      "--agent-bin",
      agent,
      "fix",
      "the",
      "flaky",
      "test",
    ]);
    expect(words.code, words.stderr).toBe(0);
    expect(runTask((await p.omk(["run", "list", "--json"])).json<ListDoc>().runs[0]!)).toBe(
      "fix the flaky test",
    );

    const big = `${"refactor the parser so it reads every list ".repeat(5000)}end`;
    expect(big.length).toBeGreaterThan(200_000);
    const file = join(p.sb.dir, "task.md");
    writeFileSync(file, `${big}\n`);
    const fromFile = await p.omk([
      "run",
      "--json",
      "--agent",
      "exec",
      "--agent-bin",
      agent,
      "--task-file",
      file,
    ]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(runTask(fromFile.json<{ runId: string }>())).toBe(big);

    const fromStdin = await p.omk(
      ["run", "--json", "--agent", "exec", "--agent-bin", agent, "--task-file", "-"],
      { input: "a task from stdin\n" },
    );
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(runTask(fromStdin.json<{ runId: string }>())).toBe("a task from stdin");

    const both = await p.omk(["run", "--agent", "exec", "--agent-bin", agent, "--task-file", file, "more"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/not both/);

    for (const [typo, meant] of [
      ["lst", "list"],
      ["shwo", "show"],
      ["resum", "resume"],
    ] as const) {
      const r = await p.omk(["run", typo, "--json"]);
      expect(r.code, typo).toBe(2);
      expect(r.stderr).toContain(`did you mean \`omk run ${meant}\`?`);
      expect(r.json<{ error: { code: string } }>().error.code).toBe("USAGE");
    }
    // Nothing started for the typos.
    expect((await p.omk(["run", "list", "--json"])).json<ListDoc>().runs).toHaveLength(3);
  });

  it("ambiguous run ids list the candidates; a detached HEAD refuses to land with a hint; proof show and verify agree on events", async () => {
    const agent = p.writerAgent("ok", { "a.txt": "ok\n" });
    const a = (await p.execRun(agent, { task: "one" })).doc;
    const b = (await p.execRun(agent, { task: "two" })).doc;
    const amb = await p.omk(["run", "show", "run-"]);
    expect(amb.code).toBe(2);
    expect(amb.stderr).toContain(a.runId);
    expect(amb.stderr).toContain(b.runId);
    expect(amb.stderr).toMatch(/ambiguous/);

    p.repo.git(["checkout", "-q", "--detach"]);
    const land = await p.omk(["land", a.runId]);
    expect(land.code).toBe(1);
    expect(land.stderr).toMatch(/HEAD is detached/);
    expect(land.stderr).toMatch(/hint: git switch main/);
    p.repo.git(["checkout", "-q", "main"]);

    const md = await p.omk(["proof", "show", a.runId]);
    const events = Number(/\| ledger \| (\d+) events up to the proof/.exec(md.stdout)?.[1]);
    expect(events).toBeGreaterThan(0);
    const v = await p.proofVerify(a.runId, ["--no-gates"]);
    const ledger = v.doc.checks.find((c) => c.name === "ledger")!;
    expect(ledger.detail).toContain(`the proof covers the first ${events}, then ProofWritten`);
  });
});

describe("CLI conventions: help, pipes, an empty repository", () => {
  let sb: ReturnType<typeof sandbox>;
  beforeEach(() => {
    sb = sandbox();
  });
  afterEach(() => sb.cleanup());

  it("bare `omk`, `omk proof` and `omk run` print their help on stdout and exit 0", async () => {
    for (const args of [[], ["proof"], ["run"]]) {
      const r = await omk(args, { cwd: sb.dir, env: sb.env });
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout, args.join(" ")).toMatch(/^Usage: omk/);
      expect(r.stderr).toBe("");
    }
  });

  it("`omk run --help` shows the flags of a run, with ranges and what --agent-bin is for", async () => {
    const r = await omk(["run", "--help"], { cwd: sb.dir, env: sb.env });
    expect(r.code).toBe(0);
    for (const flag of ["--agent", "--agent-bin", "--max-attempts", "--task-file", "--allow-path", "--base"])
      expect(r.stdout).toContain(flag);
    expect(r.stdout.replace(/\s+/g, " ")).toMatch(/--max-attempts <n> attempt budget, 1–20/);
    expect(r.stdout.replace(/\s+/g, " ")).toMatch(/the command --agent exec runs/);
    for (const sub of ["list", "show", "diff", "rm", "resume", "export"])
      expect(r.stdout).toMatch(new RegExp(`\\n  ${sub} `));
  });

  it("a closed stdout ends quietly: no EPIPE, no stack trace", async () => {
    for (const args of [["--help"], ["run", "--help"]]) {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [OMK_BIN, ...args], {
          cwd: sb.dir,
          env: { ...process.env, ...sb.env },
          stdio: ["ignore", "pipe", "pipe"],
        });
        child.stdout.destroy(); // the reader is gone before omk writes
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => {
          stderr += d.toString();
        });
        child.on("close", (code) => resolve({ code, stderr }));
      });
      expect(r.stderr, args.join(" ")).toBe("");
      expect(r.code, args.join(" ")).toBe(0);
    }
  });

  it("a repository with no commits is a usage error with a hint", async () => {
    const repo = await makeRepo({});
    try {
      repo.git(["checkout", "-q", "--orphan", "empty"]);
      const r = await omk(["run", "--agent", "exec", "--agent-bin", "/bin/true", "--json", "do", "it"], {
        cwd: repo.root,
        env: sb.env,
      });
      expect(r.code, r.stderr).toBe(2);
      expect(r.json<{ error: { code: string; hint: string } }>().error).toMatchObject({
        code: "USAGE",
        hint: expect.stringMatching(/first commit/),
      });
      expect(r.stderr).toMatch(/branch empty has no commits yet/);
    } finally {
      await repo.cleanup();
    }
  });
});
