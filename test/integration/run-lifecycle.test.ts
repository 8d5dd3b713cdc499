import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gatesToml } from "../helpers/gates.js";
import {
  alive,
  checkOf,
  FAKE_KIMI,
  kinds,
  ledgerLines,
  ledgerProblems,
  type Project,
  project,
  waitFor,
} from "../helpers/project.js";

/** Starts `omk <args>` without waiting: its pid and the promise of its result. */
function background(p: Project, args: string[], env: Record<string, string> = {}) {
  let pid = 0;
  const exit = p.omk(args, {
    env,
    onSpawn: (x) => {
      pid = x;
    },
  });
  return { pid, exit };
}

describe("run lifecycle: interrupt, crash, resume, cleanup, inspect", () => {
  let p: Project;
  let go: string;
  beforeEach(async () => {
    p = await project({ "README.md": "base\n" });
    go = join(p.sb.dir, "go");
  });
  afterEach(async () => {
    await p.cleanup();
  });

  it("SIGINT while the agent works → exit 130 and RunInterrupted; resume re-runs the agent → ready", async () => {
    const agentLog = join(p.sb.dir, "agent.log");
    // Blocks until the marker exists; logs each start so the test sees how often it ran.
    const agent = p.script(
      "blocking-agent",
      `import { appendFileSync, existsSync, writeFileSync } from "node:fs";
appendFileSync(${JSON.stringify(agentLog)}, process.pid + " " + process.env.OMK_ATTEMPT + "\\n");
writeFileSync("work.txt", "ok\\n");
while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 50));
`,
    );
    const run = background(p, [
      "run",
      "--agent",
      "exec",
      "--agent-bin",
      agent,
      "--json",
      "block then finish",
    ]);
    const dir = await p.runDirWhen("AgentStarted");
    const agentPid = await waitFor("the agent process", () =>
      existsSync(agentLog) ? Number(readFileSync(agentLog, "utf8").split(" ")[0]) : null,
    );
    process.kill(run.pid, "SIGINT");
    const r = await run.exit;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain("omk run resume");
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "interrupted", proofPath: null });
    await waitFor("the agent to be stopped", () => !alive(agentPid), 10_000);

    const before = ledgerLines(dir);
    expect(kinds(before).slice(-2)).toEqual(["AgentFinished", "RunInterrupted"]);
    expect(before.at(-2)?.data).toMatchObject({ attempt: 1, status: "cancelled" });
    expect(before.at(-1)?.data).toMatchObject({ phase: "agent", attempt: 1, reason: "SIGINT" });
    expect(kinds(before)).not.toContain("GateStarted");
    expect(await ledgerProblems(dir)).toEqual([]);
    expect(existsSync(join(dir, "proof.json"))).toBe(false);

    writeFileSync(go, "");
    const runId = before[0]!.data["runId"] as string;
    const resumed = await p.omk(["run", "resume", runId, "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json()).toMatchObject({ runId, status: "ready", attempts: 1 });

    const after = ledgerLines(dir);
    expect(after.slice(0, before.length).map((l) => l.hash)).toEqual(before.map((l) => l.hash));
    const tail = kinds(after.slice(before.length));
    expect(tail[0]).toBe("RunResumed");
    // The interrupted turn does not count as a failed attempt: attempt 1 is played again, to the end.
    expect(tail).toContain("AttemptStarted");
    expect(after.filter((l) => l.kind === "AttemptStarted").map((l) => l.data["attempt"])).toEqual([1, 1]);
    expect(readFileSync(agentLog, "utf8").trim().split("\n")).toHaveLength(2);
    expect(after.find((l) => l.kind === "RunFinished")?.data["status"]).toBe("ready");
    expect(tail.at(-1)).toBe("ProofWritten");
    expect(await ledgerProblems(dir)).toEqual([]);

    const v = await p.proofVerify(runId);
    expect(v.code, JSON.stringify(v.doc.checks)).toBe(0);
    expect(v.doc.checks.map((c) => [c.name, c.ok])).toEqual([
      ["ledger", true],
      ["integrity", true],
      ["proof", true],
      ["artifacts", true],
      ["branch", true],
      ["commit", true],
      ["receipt", true],
      ["gates", true],
    ]);
  });

  it("SIGINT sends kimi a JSON-RPC cancel: the hanging turn ends cancelled, exit 130", async () => {
    const scenario = join(p.sb.dir, "scenario.json");
    // Long enough to get past the redactor's look-ahead while kimi hangs.
    const say = `thinking ${"and thinking ".repeat(400)}`;
    writeFileSync(scenario, JSON.stringify({ turns: [{ steps: [{ say }, { hang: true }] }] }));
    const run = background(p, ["run", "--agent", "kimi", "--agent-bin", FAKE_KIMI, "hang forever"], {
      OMK_FAKE_KIMI_SCENARIO: scenario,
    });
    const dir = await p.runDirWhen("AgentStarted");
    // The turn is under way once kimi's first words arrived (saved as the attempt's output).
    await waitFor("kimi's first step", () => {
      try {
        return readFileSync(join(dir, "artifacts", "output-1.log"), "utf8").includes("thinking");
      } catch {
        return false;
      }
    });
    const t0 = Date.now();
    process.kill(run.pid, "SIGINT");
    const r = await run.exit;
    expect(r.code, r.stderr).toBe(130);
    // Well inside the 10 s cancel grace: kimi ended the turn itself, nobody had to kill it.
    expect(Date.now() - t0).toBeLessThan(8_000);
    const lines = ledgerLines(dir);
    const finished = lines.find((l) => l.kind === "AgentFinished");
    expect(finished?.data).toMatchObject({ attempt: 1, status: "cancelled", detail: "cancelled by omk" });
    // kimi's own StepInterrupted, normalized: the cancel reached the agent over the wire.
    expect(
      lines.some((l) => l.kind === "AgentEvent" && JSON.stringify(l.data).includes("agent step interrupted")),
    ).toBe(true);
    expect(kinds(lines).at(-1)).toBe("RunInterrupted");
    expect(await ledgerProblems(dir)).toEqual([]);
  });

  describe("kill -9 while a gate runs", () => {
    let gatePidFile: string;
    /** Starts a run whose gate blocks on the marker, SIGKILLs omk and the gate once the gate runs. */
    async function crashMidGate(
      killGate = true,
    ): Promise<{ runId: string; dir: string; worktree: string; gatePid: number }> {
      gatePidFile = join(p.sb.dir, "gate.pid");
      p.repo.write({
        "blocking-gate.mjs": `import { appendFileSync, existsSync } from "node:fs";
appendFileSync(${JSON.stringify(gatePidFile)}, process.pid + "\\n");
while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 50));
`,
        ".omk/gates.toml": gatesToml([{ name: "blocking", args: ["blocking-gate.mjs"] }]),
      });
      p.repo.commitAll("blocking gate");
      const agent = p.writerAgent("agent", { "work.txt": "ok\n" });
      const run = background(p, ["run", "--agent", "exec", "--agent-bin", agent, "crash mid-gate"]);
      const dir = await p.runDirWhen("GateStarted");
      const gatePid = await waitFor("the gate process", () =>
        existsSync(gatePidFile) ? Number(readFileSync(gatePidFile, "utf8").trim()) : null,
      );
      process.kill(run.pid, "SIGKILL");
      expect((await run.exit).signal).toBe("SIGKILL");
      if (killGate) {
        try {
          process.kill(-gatePid, "SIGKILL");
        } catch {
          // already gone
        }
        await waitFor("the gate to die", () => !alive(gatePid), 10_000);
      }
      const lines = ledgerLines(dir);
      expect(kinds(lines)).not.toContain("GateResult");
      expect(kinds(lines)).not.toContain("RunInterrupted");
      const started = lines[0]!.data;
      return { runId: started["runId"] as string, dir, worktree: started["worktree"] as string, gatePid };
    }

    it("resume first stops the gate a SIGKILLed omk left running in the worktree", async () => {
      const { runId, dir, gatePid } = await crashMidGate(false);
      expect(alive(gatePid)).toBe(true);
      const resumed = background(p, ["run", "resume", runId, "--json"]);
      // The orphan is stopped before the gate starts again; only then may the gate finish.
      await waitFor(
        "the gate to start again",
        () => (readFileSync(gatePidFile, "utf8").trim().split("\n").length === 2 ? true : null),
        30_000,
      );
      expect(alive(gatePid)).toBe(false);
      writeFileSync(go, "");
      const r = await resumed.exit;
      expect(r.code).toBe(0);
      const resumedEvent = ledgerLines(dir).find((l) => l.kind === "RunResumed");
      expect(resumedEvent?.data["reapedGroups"]).toBe(1);
      expect(await ledgerProblems(dir)).toEqual([]);
    });

    it("resume re-runs the gate and ends ready; the ledger and the proof verify", async () => {
      const { runId, dir } = await crashMidGate();
      const crashed = ledgerLines(dir).length;
      writeFileSync(go, "");
      const r = await p.omk(["run", "resume", runId, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json()).toMatchObject({ runId, status: "ready", attempts: 1 });
      const lines = ledgerLines(dir);
      expect(lines[crashed]?.kind).toBe("RunResumed");
      const gateStarts = lines.filter((l) => l.kind === "GateStarted");
      expect(gateStarts.map((l) => [l.data["attempt"], l.data["name"]])).toEqual([
        [1, "blocking"],
        [1, "blocking"],
      ]);
      expect(gateStarts[1]!.seq).toBeGreaterThan(crashed);
      expect(readFileSync(gatePidFile, "utf8").trim().split("\n")).toHaveLength(2);
      // The agent's turn had finished before the crash: it is not run again.
      expect(lines.filter((l) => l.kind === "AgentStarted")).toHaveLength(1);
      expect(await ledgerProblems(dir)).toEqual([]);
      const v = await p.proofVerify(runId);
      expect(v.code, JSON.stringify(v.doc.checks)).toBe(0);
      expect(checkOf(v.doc, "ledger").ok).toBe(true);
    });

    it("cleanup --all closes the crashed run as interrupted and removes its worktree", async () => {
      const { runId, dir, worktree } = await crashMidGate();
      expect(existsSync(worktree)).toBe(true);
      const r = await p.omk(["cleanup", "--all", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json<{ items: { runId: string; action: string }[] }>().items).toEqual([
        expect.objectContaining({ runId, action: "recovered" }),
      ]);
      const lines = ledgerLines(dir);
      expect(lines.at(-1)).toMatchObject({ kind: "RunInterrupted", data: { reason: "cleanup" } });
      expect(await ledgerProblems(dir)).toEqual([]);
      expect(existsSync(worktree)).toBe(false);
      expect(p.repo.git(["worktree", "list", "--porcelain"])).not.toContain(worktree);
      // The record stays: branch and ledger; `run show` reports the run as interrupted.
      expect(p.repo.git(["branch", "--list", `omk/run/${runId}`])).not.toBe("");
      const show = await p.omk(["run", "show", runId, "--json"]);
      expect(show.json()).toMatchObject({ runId, status: "interrupted", ledger: { ok: true } });
      // A second cleanup has nothing left to do.
      const again = await p.omk(["cleanup", "--all", "--json"]);
      expect(again.json<{ items: unknown[] }>().items).toEqual([]);
      expect(ledgerLines(dir)).toHaveLength(lines.length);
    });
  });

  it("run show --json and run list --json are projections of the ledger", async () => {
    // Attempt 1 writes "bad" (gate fails), attempt 2 fixes it: two attempts, two gate verdicts.
    const agent = p.script(
      "two-step",
      `import { writeFileSync } from "node:fs";
writeFileSync("a.txt", process.env.OMK_ATTEMPT === "1" ? "bad\\n" : "ok\\n");
`,
    );
    const { doc: ready } = await p.execRun(agent, { task: "two attempts" });
    const { doc: failing } = await p.execRun(p.writerAgent("bad", { "b.txt": "bad\n" }), {
      task: "never ok",
      args: ["-n", "1"],
    });
    expect([ready.status, failing.status]).toEqual(["ready", "not_ready"]);

    for (const doc of [ready, failing]) {
      const dir = p.runDir(doc.runId);
      const lines = ledgerLines(dir);
      const finished = lines.find((l) => l.kind === "RunFinished")!.data;
      const gateResults = lines
        .filter((l) => l.kind === "GateResult")
        .map((l) => [
          l.data["attempt"],
          (l.data["gate"] as { name: string }).name,
          (l.data["gate"] as { status: string }).status,
        ]);
      const attemptNs = [
        ...new Set(lines.filter((l) => l.kind === "AttemptStarted").map((l) => l.data["attempt"])),
      ];

      const show = await p.omk(["run", "show", doc.runId, "--json"]);
      expect(show.code).toBe(0);
      const s = show.json<{
        runId: string;
        status: string;
        attempts: number;
        reasons: string[];
        headCommit: string | null;
        attemptsDetail: { n: number; outcome: string; gates: { name: string; status: string }[] }[];
        ledger: { ok: boolean; events: number; headHash: string };
        dir: string;
      }>();
      expect(s.runId).toBe(doc.runId);
      expect(s.status).toBe(finished["status"]);
      expect(s.reasons).toEqual(finished["reasons"]);
      expect(s.headCommit).toBe(finished["headCommit"]);
      expect(s.attempts).toBe(attemptNs.length);
      expect(s.attemptsDetail.map((a) => a.n)).toEqual(attemptNs);
      expect(s.attemptsDetail.flatMap((a) => a.gates.map((g) => [a.n, g.name, g.status]))).toEqual(
        gateResults,
      );
      expect(s.attemptsDetail.map((a) => a.outcome)).toEqual(
        lines.filter((l) => l.kind === "AttemptFinished").map((l) => l.data["outcome"]),
      );
      expect(s.ledger).toMatchObject({ ok: true, events: lines.length, headHash: lines.at(-1)!.hash });
      expect(s.dir).toBe(dir);
    }
    const ledgerOf = (id: string) => p.ledger(id);
    expect(
      ledgerOf(ready.runId)
        .filter((l) => l.kind === "GateResult")
        .map((l) => (l.data["gate"] as { status: string }).status),
    ).toEqual(["fail", "pass"]);

    const list = await p.omk(["run", "list", "--json"]);
    const runs = list.json<{
      runs: { runId: string; status: string; attempts: number; headCommit: string | null }[];
    }>().runs;
    expect(runs.map((r) => [r.runId, r.status, r.attempts, r.headCommit])).toEqual([
      [ready.runId, "ready", 2, ready.headCommit],
      [failing.runId, "not_ready", 1, failing.headCommit],
    ]);
  });
});
