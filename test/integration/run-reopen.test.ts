import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Ledger } from "../../src/store/ledger/writer.js";
import type { RunDoc } from "../helpers/cli.js";
import { checkOf, kinds, ledgerLines, ofKind, type Project, project, waitFor } from "../helpers/project.js";

describe("omk run resume --max-attempts: more attempts for a finished not_ready run (built CLI)", () => {
  let p: Project;
  beforeEach(async () => {
    p = await project({ "README.md": "base\n" });
  });
  afterEach(async () => {
    await p.cleanup();
  });

  const resume = (args: readonly string[]) => p.omk(["run", "resume", ...args]);

  /** A run that spent its one attempt on a failing gate. */
  async function notReady(agent = p.writerAgent("bad", { "a.txt": "bad\n" })): Promise<RunDoc> {
    const { r, doc } = await p.execRun(agent, { task: "write a.txt", args: ["-n", "1"] });
    expect(doc.status).toBe("not_ready");
    expect(r.stderr).toContain(`more attempts: omk run resume ${doc.runId} --max-attempts 3`);
    return doc;
  }

  it("continues with another agent from the last attempt's feedback; land's hint names the command; the proof verifies", async () => {
    const doc = await notReady();
    const show = await p.omk(["run", "show", doc.runId]);
    expect(show.stdout).toContain("  agent:    exec, 1 of 1 attempt(s)\n");
    expect(show.stdout).toContain(`  more:     omk run resume ${doc.runId} --max-attempts 3\n`);
    const land = await p.omk(["land", doc.runId]);
    expect(land.code).toBe(1);
    expect(land.stderr).toContain(
      `hint: only ready runs land; give it more attempts with \`omk run resume ${doc.runId} --max-attempts 3\``,
    );

    const same = await resume([doc.runId, "--max-attempts", "1", "--json"]);
    expect(same.code).toBe(2);
    expect(same.json<{ error: { code: string; message: string; hint: string } }>().error).toMatchObject({
      code: "USAGE",
      message: expect.stringContaining("gives run"),
      hint: `omk run resume ${doc.runId} --max-attempts 2   (2–20)`,
    });
    expect(same.stderr).toMatch(/it has spent 1 \(the budget is the new total/);
    for (const bad of ["0", "21", "two"]) {
      const r = await resume([doc.runId, "--max-attempts", bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/--max-attempts must be an integer from 1 to 20/);
    }
    const agentOnly = await resume([doc.runId, "--agent", "exec", "--agent-bin", "/bin/true"]);
    expect(agentOnly.code).toBe(2);
    expect(agentOnly.stderr).toMatch(/--agent on resume needs --max-attempts/);
    const stray = await resume([doc.runId, "--max-attempts", "2", "--base", "HEAD"]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/--base is a flag of starting a run, not of `omk run resume`/);
    // None of the refusals wrote anything.
    expect(kinds(p.ledger(doc.runId)).at(-1)).toBe("ProofWritten");

    const good = p.writerAgent("good", { "a.txt": "ok\n" });
    const r = await resume([
      doc.runId,
      "--max-attempts",
      "2",
      "--agent",
      "exec",
      "--agent-bin",
      good,
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const after = r.json<RunDoc>();
    expect(after).toMatchObject({ runId: doc.runId, status: "ready", attempts: 2 });
    expect(r.stderr).toContain("reopened: 2 attempts in all, agent exec");
    expect(r.stderr).toContain("attempt 2/2: agent working (with gate feedback)");

    const events = p.ledger(doc.runId);
    const [reopened, ...more] = ofKind(events, "RunReopened");
    expect(more).toEqual([]);
    expect(reopened!.data).toMatchObject({
      previousStatus: "not_ready",
      previousMaxAttempts: 1,
      maxAttempts: 2,
      agent: { name: "exec", bin: good, args: [], model: null },
      rebuildWorkspace: false,
    });
    expect(ofKind(events, "AttemptStarted").map((e) => e.data)).toEqual([
      { attempt: 1, feedbackFrom: null },
      { attempt: 2, feedbackFrom: 1 },
    ]);
    expect(existsSync(join(p.runDir(doc.runId), "artifacts", "feedback-2.md"))).toBe(true);
    expect(ofKind(events, "RunFinished").map((e) => e.data["status"])).toEqual(["not_ready", "ready"]);
    expect(p.repo.git(["show", `${after.headCommit}:a.txt`])).toBe("ok");
    const shown = await p.omk(["run", "show", doc.runId]);
    expect(shown.stdout).toContain("  agent:    exec, 2 of 2 attempt(s) (budget raised after attempt 1)\n");
    expect(shown.stdout).not.toContain("more:");
    expect((await p.omk(["run", "show", doc.runId, "--json"])).json()).toMatchObject({ maxAttempts: 2 });

    // The proof is the new ending's, and it verifies (gates re-run) with the event counts agreeing.
    const proof = p.proof(doc.runId);
    expect(proof).toMatchObject({ status: "ready", headCommit: after.headCommit });
    expect((proof["attempts"] as unknown[]).length).toBe(2);
    const v = await p.proofVerify(doc.runId);
    expect(v.code, JSON.stringify(v.doc.checks)).toBe(0);
    // The receipt is the new ending's too (the superseded one said not_ready).
    expect(checkOf(v.doc, "receipt")).toMatchObject({ ok: true });
    const covered = (proof["ledger"] as { events: number }).events;
    expect(checkOf(v.doc, "ledger").detail).toContain(
      `the proof covers the first ${covered}, then ProofWritten`,
    );
    expect((await p.omk(["proof", "show", doc.runId])).stdout).toContain(
      `| ledger | ${covered} events up to the proof`,
    );

    const ready = await resume([doc.runId, "--max-attempts", "5"]);
    expect(ready.code).toBe(2);
    expect(ready.stderr).toMatch(/is ready: every required gate passed, nothing to retry/);
    expect(ready.stderr).toContain(`hint: omk land ${doc.runId}`);
    expect((await p.omk(["land", doc.runId])).code).toBe(0);
    const landed = await resume([doc.runId, "--max-attempts", "5"]);
    expect(landed.code).toBe(2);
    expect(landed.stderr).toMatch(/already landed as [0-9a-f]{12}: there is nothing to continue/);
  });

  it("after cleanup removed the worktree, the run's own agent goes on in a worktree rebuilt from its branch", async () => {
    // What the agent finds when it starts: the previous attempt's file, and HEAD.
    const seen = join(p.sb.dir, "seen");
    const agent = p.script(
      "two-step",
      `import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
const found = existsSync("a.txt") ? readFileSync("a.txt", "utf8") : "(none)";
const head = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
writeFileSync(${JSON.stringify(seen)} + "-" + process.env.OMK_ATTEMPT, JSON.stringify({ found, head }));
writeFileSync("a.txt", process.env.OMK_ATTEMPT === "1" ? "bad\\n" : "ok\\n");
`,
    );
    const doc = await notReady(agent);
    expect((await p.omk(["cleanup"])).code).toBe(0);
    expect(existsSync(doc.worktree)).toBe(false);

    const r = await resume(["last", "--max-attempts", "3", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<RunDoc>()).toMatchObject({ status: "ready", attempts: 2 });
    const events = p.ledger(doc.runId);
    expect(ofKind(events, "RunReopened")[0]!.data).toMatchObject({ agent: null, rebuildWorkspace: true });
    // Re-attached from the branch by the reopen itself, then set up again by the run.
    expect(ofKind(events, "WorkspaceReady").map((e) => e.data["how"])).toEqual(["created", "existing"]);
    expect(existsSync(doc.worktree)).toBe(true);
    // The worktree came back from the branch (attempt 1's judged tree), then attempt 2 ran in it.
    // As between any two attempts: the last attempt's files, on the base.
    expect(JSON.parse(readFileSync(`${seen}-2`, "utf8"))).toEqual({ found: "bad\n", head: p.base });
    const diff = await p.omk(["run", "diff", doc.runId, "--attempt", "2"]);
    expect(diff.stdout).toContain("+ok");
    expect((await p.proofVerify(doc.runId, ["--no-gates"])).code).toBe(0);
  });

  it("handed from one replay to another, the new recording plays, not the one the run kept", async () => {
    const bad = await notReady();
    const good = (await p.execRun(p.writerAgent("good", { "a.txt": "ok\n" }), { task: "write a.txt" })).doc;
    const file = join(p.sb.dir, "good.recording.json");
    expect((await p.omk(["run", "export", good.runId, "-o", file])).code).toBe(0);

    // A replay of the bad run keeps its recording in its run dir, for resume.
    const replayed = await p.omk([
      "run",
      "--json",
      "--agent",
      `replay:${bad.runId}`,
      "-n",
      "1",
      "write a.txt",
    ]);
    const doc = replayed.json<RunDoc>();
    expect(doc.status).toBe("not_ready");
    const kept = join(p.runDir(doc.runId), "replay-source.json");
    expect(existsSync(kept)).toBe(true);

    const r = await resume([doc.runId, "--max-attempts", "2", "--agent", `replay:${file}`, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<RunDoc>().status).toBe("ready");
    expect(ofKind(p.ledger(doc.runId), "RunReopened")[0]!.data["agent"]).toMatchObject({
      name: `replay:${file}`,
    });
    // The old recording is gone, so a later resume cannot play it either.
    expect(existsSync(kept)).toBe(false);
    expect((await p.proofVerify(doc.runId, ["--no-gates"])).code).toBe(0);
  });

  it("a reopened run interrupted mid-attempt resumes within its new budget, and its proof agrees", async () => {
    const go = join(p.sb.dir, "go");
    const agent = p.script(
      "slow-second",
      `import { existsSync, readFileSync, writeFileSync } from "node:fs";
if (process.env.OMK_ATTEMPT === "1") writeFileSync("a.txt", "bad\\n");
else {
  writeFileSync("a.txt", "ok\\n");
  while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 50));
}
`,
    );
    const doc = await notReady(agent);
    let pid = 0;
    const reopening = p.omk(["run", "resume", doc.runId, "--max-attempts", "4"], {
      onSpawn: (x) => {
        pid = x;
      },
    });
    await waitFor("attempt 2's agent", () =>
      ofKind(p.ledger(doc.runId), "AgentStarted").some((e) => e.data["attempt"] === 2),
    );
    process.kill(pid, "SIGINT");
    expect((await reopening).code).toBe(130);
    const listed = (await p.omk(["run", "list"])).stdout;
    expect(listed).toContain(`interrupted — omk run resume ${doc.runId}`);
    // The superseded ending's proof and receipt went with the reopen.
    const noProof = await p.omk(["proof", "show", doc.runId]);
    expect(noProof.code).toBe(2);
    expect(noProof.stderr).toMatch(/has no proof yet/);
    expect(existsSync(join(p.runDir(doc.runId), "proof.intoto.json"))).toBe(false);

    // A plain resume goes on within the budget the reopen recorded (4, not the 1 the run started with).
    writeFileSync(go, "");
    const r = await resume([doc.runId, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("reopened: 4 attempts in all");
    expect(r.stderr).toContain("attempt 2/4: agent working (with gate feedback)");
    expect(r.json<RunDoc>()).toMatchObject({ status: "ready", attempts: 2 });
    const events = p.ledger(doc.runId);
    expect(kinds(events).filter((k) => ["RunReopened", "RunInterrupted", "RunResumed"].includes(k))).toEqual([
      "RunReopened",
      "RunInterrupted",
      "RunResumed",
    ]);
    expect(p.proof(doc.runId)).toMatchObject({
      status: "ready",
      reasons: ["all required gates passed on attempt 2"],
    });
    expect((await p.proofVerify(doc.runId, ["--no-gates"])).code).toBe(0);
  });

  it("refuses blocked, unfinished and branchless runs, and an integrity check catches a forged reopen", async () => {
    // Interrupted mid-turn (the project's first run, so runDirWhen finds it): resuming continues it within its budget; --max-attempts is for finished runs.
    const go = join(p.sb.dir, "go");
    const waiting = p.script(
      "waiting",
      `import { existsSync, readFileSync, writeFileSync } from "node:fs";
writeFileSync("a.txt", "ok\\n");
while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 50));
`,
    );
    let pid = 0;
    const running = p.omk(["run", "--agent", "exec", "--agent-bin", waiting, "wait for it"], {
      onSpawn: (x) => {
        pid = x;
      },
    });
    const dir = await p.runDirWhen("AgentStarted");
    process.kill(pid, "SIGINT");
    expect((await running).code).toBe(130);
    const runId = ledgerLines(dir)[0]!.data["runId"] as string;
    const unfinished = await resume([runId, "--max-attempts", "5"]);
    expect(unfinished.code).toBe(2);
    expect(unfinished.stderr).toMatch(/has not finished: --max-attempts only gives a finished not_ready run/);
    expect(unfinished.stderr).toContain(
      `hint: continue it within its budget of 3 with: omk run resume ${runId}`,
    );
    writeFileSync(go, "");
    expect((await resume([runId])).code).toBe(0);

    const { doc: blocked } = await p.execRun(p.writerAgent("sneaky", { ".omk/gates.toml": "# mine now\n" }), {
      task: "change the rules",
    });
    expect(blocked.status).toBe("blocked");
    const b = await resume([blocked.runId, "--max-attempts", "5"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/is blocked \(.*\.omk\/gates\.toml.*\): a blocked change is never retried/);

    // The branch went with `cleanup --branches`: nothing is left to continue from.
    const gone = await notReady();
    expect((await p.omk(["cleanup", "--branches"])).code).toBe(0);
    const g = await resume([gone.runId, "--max-attempts", "2"]);
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(new RegExp(`branch omk/run/${gone.runId} was deleted: its work is gone`));

    // A RunReopened forged onto a ready run (the chain extends fine) is caught by proof verify and land.
    const ledger = await Ledger.open(p.runDir(runId), { runId });
    await ledger.append({
      kind: "RunReopened",
      data: {
        previousStatus: "ready",
        previousMaxAttempts: 3,
        maxAttempts: 5,
        agent: null,
        rebuildWorkspace: false,
        pid: 1,
      },
    });
    await ledger.close();
    const v = await p.proofVerify(runId, ["--no-gates"]);
    expect(v.code).toBe(1);
    expect(checkOf(v.doc, "integrity")).toMatchObject({
      ok: false,
      detail: expect.stringMatching(
        /RunReopened reopens a ready run \(only not_ready runs reopen, and blocked ones/,
      ),
    });
    const land = await p.omk(["land", runId]);
    expect(land.code).toBe(1);
    expect(land.stderr).toMatch(/reopens a ready run/);
  });
});
