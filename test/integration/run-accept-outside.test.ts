import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Ledger } from "../../src/store/ledger/writer.js";
import type { RunDoc } from "../helpers/cli.js";
import { checkOf, execGoalArgs, kinds, ofKind, type Project, project, waitFor } from "../helpers/project.js";

// A run is blocked when the repository outside its worktree changes while it works — also when the
// person did it (a git fetch, a commit or an edit in their checkout). `omk run resume <run>
// --accept-outside-changes` lets them vouch for such changes and have the attempt judged again.

let p: Project;
afterEach(async () => {
  await p.cleanup();
});

const resume = (args: readonly string[]) => p.omk(["run", "resume", ...args]);

/**
 * An exec agent that writes `files`, says it is working (`started`), and ends its turn only once
 * `go` exists: the test acts as the person in between.
 */
function waitingAgent(files: Record<string, string>): { agent: string; started: string; go: string } {
  const started = join(p.sb.dir, "agent-started");
  const go = join(p.sb.dir, "agent-go");
  const agent = p.script(
    "waiting",
    `import { existsSync, writeFileSync } from "node:fs";
for (const [f, c] of Object.entries(${JSON.stringify(files)})) writeFileSync(f, c);
writeFileSync(${JSON.stringify(started)}, "");
while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 20));
`,
  );
  return { agent, started, go };
}

/** Starts a run of `agent`, waits until it works, runs `meanwhile` (the person), lets the turn end. */
async function runWhile(
  w: { agent: string; started: string; go: string },
  meanwhile: () => void,
  args: readonly string[] = [],
): Promise<{ doc: RunDoc; stderr: string }> {
  const run = p.omk(["run", "--json", "--agent", "exec", "--agent-bin", w.agent, ...args, "write a.txt"]);
  await waitFor("the agent's turn", () => existsSync(w.started));
  meanwhile();
  writeFileSync(w.go, "");
  const r = await run;
  return { doc: r.json<RunDoc>(), stderr: r.stderr };
}

describe("omk run resume --accept-outside-changes (built CLI)", () => {
  it("a git fetch during the agent's turn blocks the run; accepted, the attempt is judged again without the agent and the run lands", async () => {
    p = await project({ "README.md": "base\n" });
    // The person's upstream, fetched once before the run.
    const up = join(p.sb.dir, "upstream");
    p.repo.git(["clone", "-q", p.repo.root, up]);
    p.repo.git(["remote", "add", "origin", up]);
    p.repo.git(["fetch", "-q", "origin"]);
    const fetched = () => {
      writeFileSync(join(up, "up.txt"), "upstream ok\n");
      p.repo.git(["add", "up.txt"], up);
      p.repo.git(["commit", "-q", "-m", "upstream moved"], up);
      p.repo.git(["fetch", "-q", "origin"]);
    };

    const { doc, stderr } = await runWhile(waitingAgent({ "a.txt": "ok\n" }), fetched);
    expect(doc.status).toBe("blocked");
    const upstream = p.repo.git(["rev-parse", "--short=10", "origin/main"]);
    expect(doc.reasons).toEqual([
      `the repository outside the worktree changed: refs/remotes/origin/main moved ${p.base.slice(0, 10)} → ${upstream}`,
    ]);
    const command = `omk run resume ${doc.runId} --accept-outside-changes`;
    expect(stderr).toContain(
      `if you made these changes yourself (a git fetch, a commit or an edit in your checkout): ${command}`,
    );
    expect((await p.omk(["run", "show", doc.runId])).stdout).toContain(`  yours?:   ${command}\n`);
    const land = await p.omk(["land", doc.runId]);
    expect(land.code).toBe(1);
    expect(land.stderr).toContain(`check them and run \`${command}\``);
    const notAlone = await resume([doc.runId, "--max-attempts", "3"]);
    expect(notAlone.code).toBe(2);
    expect(notAlone.stderr).toContain(`check them and run: ${command}`);
    expect(kinds(p.ledger(doc.runId)).at(-1)).toBe("ProofWritten");

    const r = await resume([doc.runId, "--accept-outside-changes", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<RunDoc>()).toMatchObject({ runId: doc.runId, status: "ready", attempts: 1 });
    expect(r.stderr).toContain("accepted as yours (recorded in the ledger), outside the worktree:");
    expect(r.stderr).toContain(`  refs/remotes/origin/main moved ${p.base.slice(0, 10)} → ${upstream}`);
    expect(r.stderr).toContain("attempt 1: judged again from the repository as it is now");

    const events = p.ledger(doc.runId);
    expect(ofKind(events, "RunReopened").map((e) => e.data)).toEqual([
      expect.objectContaining({
        previousStatus: "blocked",
        maxAttempts: 3,
        previousMaxAttempts: 3,
        acceptedOutside: { attempt: 1, changes: [doc.reasons[0]!.replace(/^.*changed: /, "")] },
      }),
    ]);
    // The agent did not work again: one turn, one snapshot after the acceptance.
    expect(ofKind(events, "AgentStarted")).toHaveLength(1);
    expect(ofKind(events, "Snapshot")).toHaveLength(1);
    expect(ofKind(events, "RunFinished").map((e) => e.data["status"])).toEqual(["blocked", "ready"]);
    const proof = p.proof(doc.runId);
    expect(proof["attempts"]).toEqual([
      expect.objectContaining({
        n: 1,
        outcome: "passed",
        acceptedOutsideChanges: [expect.stringMatching(/^refs\/remotes\/origin\/main moved/)],
      }),
    ]);
    const v = await p.proofVerify(doc.runId);
    expect(v.code, JSON.stringify(v.doc.checks)).toBe(0);
    const shown = await p.omk(["run", "show", doc.runId]);
    expect(shown.stdout).toMatch(
      / {2}accepted: attempt 1: refs\/remotes\/origin\/main moved .* \(you said you made it\)\n/,
    );
    expect(shown.stdout).not.toContain("yours?:");
    expect((await p.omk(["land", doc.runId])).code).toBe(0);
    expect(p.repo.git(["show", "main:a.txt"])).toBe("ok");
  });

  it("a commit in the main checkout while the gates run blocks after them; accepted, the attempt is judged again (its patch artifact rewritten) and verifies", async () => {
    p = await project(
      {
        "README.md": "base\n",
        // The gate says it runs, then waits for the test (the person) to let it finish.
        "slow-gate.mjs": `import { existsSync, writeFileSync } from "node:fs";
const dir = process.env.OMK_GATE_SYNC_DIR;
if (dir) {
  writeFileSync(dir + "/gate-started", "");
  while (!existsSync(dir + "/gate-go")) await new Promise((r) => setTimeout(r, 20));
}
`,
      },
      { gates: [{ name: "slow", args: ["slow-gate.mjs"] }] },
    );
    const started = join(p.sb.dir, "gate-started");
    const agent = p.writerAgent("writer", { "a.txt": "ok\n" });
    const run = p.omk(["run", "--json", "--agent", "exec", "--agent-bin", agent, "write a.txt"], {
      env: { OMK_GATE_SYNC_DIR: p.sb.dir },
    });
    await waitFor("the gate", () => existsSync(started));
    p.repo.git(["commit", "-q", "--allow-empty", "-m", "the person's commit"]);
    writeFileSync(join(p.sb.dir, "gate-go"), "");
    const doc = (await run).json<RunDoc>();
    expect(doc.status).toBe("blocked");
    expect(doc.reasons).toEqual([expect.stringMatching(/changed: refs\/heads\/main moved /)]);
    const before = ofKind(p.ledger(doc.runId), "DiffCaptured");
    expect(before).toHaveLength(1);

    rmSync(started);
    const r = await resume([doc.runId, "--accept-outside-changes", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<RunDoc>()).toMatchObject({ status: "ready", attempts: 1 });
    const events = p.ledger(doc.runId);
    expect(ofKind(events, "DiffCaptured")).toHaveLength(2);
    expect(ofKind(events, "GateResult")).toHaveLength(2);
    expect(ofKind(events, "AgentStarted")).toHaveLength(1);
    const v = await p.proofVerify(doc.runId);
    expect(v.code, JSON.stringify(v.doc.checks)).toBe(0);
    expect(checkOf(v.doc, "artifacts")).toMatchObject({ ok: true });
  });

  it("an edit in the main checkout, accepted: the agent's work is still judged — a failing gate after it is not_ready", async () => {
    p = await project({ "README.md": "base\n" });
    const { doc } = await runWhile(
      waitingAgent({ "a.txt": "not good\n" }),
      () => writeFileSync(join(p.repo.root, "README.md"), "the person's edit\n"),
      ["-n", "1"],
    );
    expect(doc.reasons).toEqual([
      "the repository outside the worktree changed: main checkout: README.md modified",
    ]);
    const r = await resume([doc.runId, "--accept-outside-changes", "--json"]);
    expect(r.code).toBe(1);
    expect(r.json<RunDoc>()).toMatchObject({ status: "not_ready", attempts: 1 });
    expect(
      ofKind(p.ledger(doc.runId), "GateResult").map((e) => (e.data["gate"] as { status: string }).status),
    ).toEqual(["fail"]);
    expect((await p.proofVerify(doc.runId, ["--no-gates"])).code).toBe(0);
  });

  it("with --max-attempts too: the judged-again attempt fails its gate and the agent gets another, with feedback", async () => {
    p = await project({ "README.md": "base\n" });
    const w = waitingAgent({});
    // Attempt 1 writes a failing file; attempt 2 (after the acceptance) fixes it.
    writeFileSync(
      w.agent,
      `#!/usr/bin/env node
import { existsSync, writeFileSync } from "node:fs";
writeFileSync("a.txt", process.env.OMK_ATTEMPT === "2" ? "ok\\n" : "not good\\n");
writeFileSync(${JSON.stringify(w.started)}, "");
while (!existsSync(${JSON.stringify(w.go)})) await new Promise((r) => setTimeout(r, 20));
`,
    );
    const { doc } = await runWhile(
      w,
      () => writeFileSync(join(p.repo.root, "README.md"), "the person's edit\n"),
      ["-n", "1"],
    );
    expect(doc.status).toBe("blocked");
    const r = await resume([doc.runId, "--accept-outside-changes", "--max-attempts", "2", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<RunDoc>()).toMatchObject({ status: "ready", attempts: 2 });
    const events = p.ledger(doc.runId);
    expect(ofKind(events, "RunReopened").map((e) => e.data)).toEqual([
      expect.objectContaining({
        previousMaxAttempts: 1,
        maxAttempts: 2,
        acceptedOutside: expect.any(Object),
      }),
    ]);
    expect(ofKind(events, "AttemptStarted").map((e) => e.data)).toEqual([
      { attempt: 1, feedbackFrom: null },
      { attempt: 2, feedbackFrom: 1 },
    ]);
    expect(ofKind(events, "AttemptFinished").map((e) => e.data["outcome"])).toEqual([
      "blocked",
      "gates_failed",
      "passed",
    ]);
    expect((await p.proofVerify(doc.runId, ["--no-gates"])).code).toBe(0);
  });

  it("refuses what it cannot accept, writing nothing: a ready run, a planted hook, a secret, a removed worktree; a forged acceptance fails verify", async () => {
    p = await project({ "README.md": "base\n" });
    const unchanged = async (runId: string) => expect(kinds(p.ledger(runId)).at(-1)).toBe("ProofWritten");

    const { doc: ready } = await p.execRun(p.writerAgent("good", { "a.txt": "ok\n" }));
    const r1 = await resume([ready.runId, "--accept-outside-changes"]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(
      /is ready, not blocked: --accept-outside-changes continues a run that changes outside its worktree blocked/,
    );
    expect(r1.stderr).toContain(`hint: omk land ${ready.runId}`);
    await unchanged(ready.runId);

    // A hook makes git run a program: never accepted, and no run output suggests it.
    const hooked = p.script(
      "hooked",
      `import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
const common = execFileSync("git", ["rev-parse", "--path-format=absolute", "--git-common-dir"], { encoding: "utf8" }).trim();
writeFileSync("a.txt", "ok\\n");
writeFileSync(join(common, "hooks", "post-checkout"), "#!/bin/sh\\n", { mode: 0o755 });
`,
    );
    const { r: hr, doc: hook } = await p.execRun(hooked);
    expect(hook.status).toBe("blocked");
    expect(hr.stderr).not.toContain("--accept-outside-changes");
    const r2 = await resume([hook.runId, "--accept-outside-changes"]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(
      /blocked by changes to what makes git run programs or hide files \(hook post-checkout added\): omk does not accept those as yours/,
    );
    await unchanged(hook.runId);

    const { doc: secret } = await p.execRun(
      p.writerAgent("leaky", { "a.txt": "ok\n", "key.txt": "ok ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5\n" }),
    );
    expect(secret.status).toBe("blocked");
    const r3 = await resume([secret.runId, "--accept-outside-changes"]);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/not by changes outside its worktree alone: a blocked change is never retried/);
    await unchanged(secret.runId);

    const { doc: gone } = await runWhile(waitingAgent({ "a.txt": "ok\n" }), () =>
      writeFileSync(join(p.repo.root, "notes.md"), "mine\n"),
    );
    expect(gone.status).toBe("blocked");
    rmSync(gone.worktree, { recursive: true, force: true });
    const r4 = await resume([gone.runId, "--accept-outside-changes"]);
    expect(r4.code).toBe(2);
    expect(r4.stderr).toMatch(/worktree .* was removed: the agent's work is gone/);
    await unchanged(gone.runId);

    // An acceptance appended to a run blocked by a secret is refused by proof verify (and so by land).
    const ledger = await Ledger.open(p.runDir(secret.runId), { runId: secret.runId });
    await ledger.append({
      kind: "RunReopened",
      data: {
        previousStatus: "ready",
        previousMaxAttempts: 3,
        maxAttempts: 3,
        agent: null,
        rebuildWorkspace: false,
        pid: 1,
      },
    });
    await ledger.close();
    const v = await p.proofVerify(secret.runId, ["--no-gates"]);
    expect(checkOf(v.doc, "integrity")).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/RunReopened reopens a blocked run/),
    });
  });

  it("a goal task's run is the goal's: neither acceptance nor more attempts reopen it in the goal's lane", async () => {
    p = await project({ "README.md": "base\n" });
    const plan = join(p.sb.dir, "plan.json");
    const task = { title: "write a", prompt: "write a.txt", deps: [], read_set: [], write_set: ["a.txt"] };
    writeFileSync(plan, JSON.stringify({ tasks: [{ id: "a", ...task }] }));
    const agent = p.writerAgent("bad", { "a.txt": "bad\n" });
    const goal = await p.omk(execGoalArgs(plan, agent, "--max-attempts", "1", "g"), { timeoutMs: 120_000 });
    const doc = goal.json<{ tasks: { id: string; runId: string }[] }>();
    const runId = doc.tasks[0]!.runId;
    expect((await p.omk(["run", "show", runId, "--json"])).json()).toMatchObject({ status: "not_ready" });
    // Nothing suggests a command that would be refused.
    expect((await p.omk(["run", "show", runId])).stdout).not.toContain("more:");
    expect((await p.omk(["land", runId])).stderr).not.toContain("--max-attempts");
    const more = await resume([runId, "--max-attempts", "2"]);
    expect(more.code).toBe(2);
    expect(more.stderr).toMatch(/was a task of a goal: its lane .* is the goal's, not the run's to go on in/);
    const accept = await resume([runId, "--accept-outside-changes"]);
    expect(accept.code).toBe(2);
    expect(accept.stderr).toMatch(
      /was a task of a goal: its lane .* is the goal's, not the run's to go on in/,
    );
    expect(kinds(p.ledger(runId)).at(-1)).toBe("ProofWritten");
  });
});
