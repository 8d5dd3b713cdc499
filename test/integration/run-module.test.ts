import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { idTime } from "../../src/core/ids.js";
import type { RunJournalEvent } from "../../src/journal/events.js";
import { prefetchRun, preflightFingerprint } from "../../src/run/prefetch.js";
import { type RunOutcome, startRun } from "../../src/run/start.js";
import { Ledger } from "../../src/store/ledger/writer.js";
import { omk, sandbox } from "../helpers/cli.js";
import { gatesToml } from "../helpers/gates.js";
import { makeRepo, type TestRepo } from "../helpers/git-repo.js";

/**
 * The run module driven directly, as the goal scheduler and the MCP server will drive it: no CLI,
 * no hook passed in. Results are checked with the built CLI, as a reviewer would.
 */

// Every process a run starts (agent, gate) logs "<pid> <cwd>" so the test knows whose it is.
const LOG_SELF = `import { appendFileSync } from "node:fs";
appendFileSync(process.argv[2] ?? process.env.OMK_TEST_PIDLOG, process.pid + " " + process.cwd() + "\\n");
`;
const GATE = `${LOG_SELF}
import { readFileSync } from "node:fs";
if (readFileSync("answer.txt", "utf8").trim() !== "42") process.exit(1);
`;

describe("runs started through the run module", () => {
  let repo: TestRepo;
  let sb: ReturnType<typeof sandbox>;
  let pidLog: string;
  let agent: string;
  let env: Record<string, string | undefined>;

  beforeEach(async () => {
    sb = sandbox("omk-mod-");
    pidLog = join(sb.dir, "pids.log");
    writeFileSync(pidLog, "");
    repo = await makeRepo({
      "answer.txt": "0\n",
      "gate.mjs": GATE,
      ".gitignore": ".omk/worktrees/\n",
      ".omk/gates.toml": gatesToml([{ name: "answer", args: ["gate.mjs", pidLog] }]),
    });
    agent = join(sb.dir, "agent.mjs");
    writeFileSync(
      agent,
      `#!/usr/bin/env node\n${LOG_SELF}\nimport { writeFileSync } from "node:fs";\nawait new Promise((r) => setTimeout(r, 200));\nwriteFileSync("answer.txt", "42\\n");\n`,
    );
    chmodSync(agent, 0o755);
    env = { ...process.env, ...sb.env, OMK_TEST_PIDLOG: pidLog };
  });
  afterEach(async () => {
    sb.cleanup();
    await repo.cleanup();
  });

  const start = (observed: RunJournalEvent[]): Promise<RunOutcome> =>
    startRun({
      cwd: repo.root,
      task: "write the answer",
      agent: "exec",
      agentBin: agent,
      parentEnv: env,
      signal: new AbortController().signal,
      ask: null,
      onEvent: (e) => observed.push(e),
      // The processes log to this test's temp dir and are checked as the host sees them: unconfined.
      sandbox: "off",
    });

  it("a finished run writes its own proof, which `omk proof verify` accepts", async () => {
    const observed: RunJournalEvent[] = [];
    const r = await start(observed);
    expect(r.state.finished?.status).toBe("ready");
    expect(r.state.proofWritten).toBe(true);
    const proof = JSON.parse(readFileSync(r.loc.proofFile, "utf8")) as { status: string; runId: string };
    expect(proof).toMatchObject({ status: "ready", runId: r.loc.runId });
    // The observer saw every event, the proof's included, in ledger order.
    expect(observed.map((e) => e.kind).at(-1)).toBe("ProofWritten");
    expect(observed.map((e) => e.seq)).toEqual(observed.map((_, i) => i + 1));

    const verify = await omk(["proof", "verify", r.loc.runId, "--json"], { cwd: repo.root, env: sb.env });
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.json<{ ok: boolean }>().ok).toBe(true);
  });

  it("takes over the worktree prefetchRun began to check out at HEAD, and removes one from another commit", async () => {
    await prefetchRun(repo.root, { worktree: true });
    await new Promise((r) => setTimeout(r, 20));
    const startedAt = Date.now();
    const taken = await start([]);
    expect(taken.state.finished?.status).toBe("ready");
    // Its id was made when the checkout began, before startRun was called.
    expect(idTime(taken.loc.runId)).toBeLessThan(startedAt);
    expect(taken.state.worktree).toBe(join(repo.root, ".omk", "worktrees", taken.loc.runId));

    // HEAD moves between the prefetch and the run: that checkout is not the run's base. (The
    // prefetched fingerprint is dropped: the run would rightly count the move against its agent.)
    await prefetchRun(repo.root, { worktree: true });
    await preflightFingerprint(repo.root);
    repo.git(["commit", "-q", "--allow-empty", "-m", "moved"]);
    const later = Date.now();
    const fresh = await start([]);
    expect(fresh.state.finished?.status).toBe("ready");
    expect(idTime(fresh.loc.runId)).toBeGreaterThanOrEqual(later);
    const runWorktrees = readdirSync(join(repo.root, ".omk", "worktrees")).filter((n) =>
      n.startsWith("run-"),
    );
    expect(runWorktrees.sort()).toEqual([taken.loc.runId, fresh.loc.runId].sort());
    const runBranches = repo
      .git(["for-each-ref", "--format=%(refname:short)", "refs/heads/omk/run/"])
      .split("\n");
    expect(runBranches.sort()).toEqual([taken.loc.branch, fresh.loc.branch].sort());
  });

  it("two runs at once in one process each record only their own process groups", async () => {
    const [a, b] = await Promise.all([start([]), start([])]);
    expect(a.state.finished?.status).toBe("ready");
    expect(b.state.finished?.status).toBe("ready");
    // Each logged process leads its own group (pid = pgid). Agents run in their run's worktree; gates
    // run in a gate workspace, so a run's gate is known only as "not the other run's".
    const logged = readFileSync(pidLog, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" ") as [string, string]);
    expect(logged).toHaveLength(4); // two agents, two gates
    const agentOf = (worktree: string) =>
      logged.filter(([, cwd]) => cwd === worktree).map(([pid]) => Number(pid));
    const recorded = (dir: string) =>
      readFileSync(join(dir, "children.pids"), "utf8").trim().split("\n").map(Number).sort();
    const [ra, rb] = [recorded(a.loc.dir), recorded(b.loc.dir)];
    expect(ra).toHaveLength(2);
    expect(rb).toHaveLength(2);
    expect(ra.filter((pid) => rb.includes(pid))).toEqual([]);
    expect([...ra, ...rb].sort()).toEqual(logged.map(([pid]) => Number(pid)).sort());
    expect(ra).toEqual(expect.arrayContaining(agentOf(a.state.worktree)));
    expect(rb).toEqual(expect.arrayContaining(agentOf(b.state.worktree)));
  });

  it("a ledger written by a newer omk is reported, not crashed on, and not acted on", async () => {
    const r = await start([]);
    // A newer omk appended a kind this one does not know, with a valid chain and head.
    const ledger = await Ledger.open(r.loc.dir, { runId: r.loc.runId });
    await ledger.append({ kind: "ReviewRequested", data: { by: "someone" } });
    await ledger.close();
    const run = (args: string[]) => omk(args, { cwd: repo.root, env: sb.env });

    const show = await run(["run", "show", r.loc.runId]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stderr).toMatch(/written by a newer omk \(unknown event kinds: ReviewRequested\)/);
    const list = await run(["run", "list", "--json"]);
    expect(list.json<{ runs: { problem: string | null }[] }>().runs[0]?.problem).toMatch(/newer omk/);

    const resume = await run(["run", "resume", r.loc.runId, "--json"]);
    expect(resume.code).toBe(1);
    expect(resume.json<{ error: { code: string; hint: string } }>().error).toMatchObject({
      code: "LEDGER_UNSUPPORTED",
      hint: expect.stringMatching(/upgrade omk/),
    });
    const land = await run(["land", r.loc.runId]);
    expect(land.code).toBe(1);
    expect(land.stderr).toMatch(/newer omk/);
    const verify = await run(["proof", "verify", r.loc.runId, "--no-gates", "--json"]);
    expect(verify.code).toBe(1);
    const ledgerCheck = verify
      .json<{ checks: { name: string; ok: boolean; detail: string }[] }>()
      .checks.find((c) => c.name === "ledger");
    expect(ledgerCheck).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/ReviewRequested.*unknown/),
    });
  });
});
