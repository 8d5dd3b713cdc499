import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { leaks, ofKind, type Project, project, waitFor } from "../helpers/project.js";

// Built from parts so no scanner (and no grep of this file's output) ever sees it whole.
const SECRET = ["ghp", "Kt4mW9zQ2xV7bN1cR8sL3dF6gH0jA5pE2yU9"].join("_");
const STDERR_SECRET = ["sk", "live", "51Hq2Lm8Zx4Vc7Bn1Mk9Pw3Rt6Yu0Io5Ea2Sd8Fg"].join("_");

interface LogsDoc {
  runId: string;
  status: string;
  attempts: {
    attempt: number;
    file: string;
    saved: { sha256: string; bytes: number; cutBytes: number; seenBytes: number; lines: number } | null;
    output: string;
    gates?: { name: string; status: string; tail: string }[];
  }[];
}

describe("agent output: bounded artifact, coalesced ledger events, run logs", () => {
  let p: Project;
  beforeEach(async () => {
    p = await project({ "README.md": "base\n" });
  });
  afterEach(async () => {
    await p.cleanup();
  });

  it("a loud agent (20 MB, a secret split across two writes) ends ready with a small ledger and a head+tail artifact", async () => {
    const agent = p.script(
      "loud",
      `import { writeFileSync } from "node:fs";
const secret = ${JSON.stringify(SECRET)};
const pad = "x".repeat(90);
let buf = "";
for (let i = 0; i < 200000; i++) {
  buf += "line " + i + " " + pad + "\\n";
  if (buf.length >= 1 << 16) { process.stdout.write(buf); buf = ""; }
}
process.stdout.write(buf);
await new Promise((r) => setTimeout(r, 50));
process.stdout.write("token=" + secret.slice(0, 9));
await new Promise((r) => setTimeout(r, 300));
process.stdout.write(secret.slice(9) + " the end\\n");
process.stderr.write("stderr says " + ${JSON.stringify(STDERR_SECRET)} + "\\n");
writeFileSync("done.txt", "ok\\n");
`,
    );
    const { r, doc } = await p.execRun(agent);
    expect(doc.status, r.stderr).toBe("ready");
    const dir = p.runDir(doc.runId);

    expect(statSync(join(dir, "events.jsonl")).size).toBeLessThan(1 << 20);
    const events = p.ledger(doc.runId);
    const batches = ofKind(events, "AgentOutput");
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.length).toBeLessThanOrEqual(200);
    expect(ofKind(events, "AgentEvent").filter((e) => JSON.stringify(e.data).includes("line 1"))).toEqual([]);
    const [saved] = ofKind(events, "AgentOutputSaved");
    expect(saved?.data).toMatchObject({ attempt: 1, file: "artifacts/output-1.log" });
    expect(saved?.data["lines"]).toBe(200_002);
    expect(Number(saved?.data["cutBytes"])).toBeGreaterThan(10_000_000);

    const file = join(dir, "artifacts", "output-1.log");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(file).size).toBe(saved?.data["bytes"]);
    const text = readFileSync(file, "utf8");
    expect(text.startsWith("line 0 x")).toBe(true);
    expect(text).toMatch(
      /\n\[omk: \d+ bytes of agent output cut here; the head and the tail are kept\]\nline \d+ x/,
    );
    expect(text).toContain("line 199999 x");
    expect(text).toContain("token=[REDACTED] the end\n");
    expect(text).toContain("stderr says [REDACTED]\n");
    expect(readdirSync(dir).filter((f) => f.includes("tail"))).toEqual([]);

    // The artifact is named by the ledger and matches its recorded hash.
    const verify = await p.proofVerify(doc.runId, ["--no-gates"]);
    expect(verify.doc.ok, JSON.stringify(verify.doc.checks)).toBe(true);

    const logs = await p.omk(["run", "logs", doc.runId]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toBe(text);
    expect(logs.stderr).toContain("attempt 1");
    const json = await p.omk(["run", "logs", "last", "--json", "--gates"]);
    const ld = json.json<LogsDoc>();
    expect(ld.status).toBe("ready");
    expect(ld.attempts).toHaveLength(1);
    expect(ld.attempts[0]?.output).toBe(text);
    expect(ld.attempts[0]?.saved?.lines).toBe(200_002);

    const list = await p.omk(["run", "list", "--json"]);
    expect(list.json<{ runs: { runId: string; status: string }[] }>().runs).toEqual([
      expect.objectContaining({ runId: doc.runId, status: "ready" }),
    ]);
    expect(JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"))).toMatchObject({
      schema: "omk.run-summary/v1",
      state: { runId: doc.runId, finished: { status: "ready" } },
    });

    const outputs = {
      run: r.stdout + r.stderr,
      logs: logs.stdout + logs.stderr,
      json: json.stdout + json.stderr,
      list: list.stdout + list.stderr,
    };
    for (const needle of [SECRET, SECRET.slice(4), STDERR_SECRET]) {
      expect(leaks(needle, p.stateFiles(), outputs), needle).toEqual([]);
    }
  });

  it("run logs --attempt N shows that attempt; --gates adds the gate tails; an unknown attempt is a usage error", async () => {
    const agent = p.script(
      "two-tries",
      `import { writeFileSync } from "node:fs";
const n = process.env.OMK_ATTEMPT;
console.log("attempt " + n + " says hi");
writeFileSync("answer.txt", n === "1" ? "bad\\n" : "ok\\n");
`,
    );
    const { doc } = await p.execRun(agent);
    expect(doc.status).toBe("ready");
    expect(doc.attempts).toBe(2);

    const second = await p.omk(["run", "logs", doc.runId, "--attempt", "2"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe("attempt 2 says hi\n");
    const all = await p.omk(["run", "logs", doc.runId]);
    expect(all.stdout).toBe("attempt 1 says hi\nattempt 2 says hi\n");
    const gates = await p.omk(["run", "logs", doc.runId, "--attempt", "1", "--gates"]);
    expect(gates.stdout).toContain("attempt 1 says hi\n");
    expect(gates.stdout).toContain("not ok: answer.txt");
    expect(gates.stderr).toMatch(/gate txt: fail/);
    const json = (await p.omk(["run", "logs", doc.runId, "--attempt", "2", "--json"])).json<LogsDoc>();
    expect(json.attempts.map((a) => [a.attempt, a.output])).toEqual([[2, "attempt 2 says hi\n"]]);

    const none = await p.omk(["run", "logs", doc.runId, "--attempt", "3"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no attempt 3/);
  });

  it("run logs --follow prints a live run's output and ends when the run ends", async () => {
    const go = join(p.sb.dir, "go");
    const agent = p.script(
      "slow",
      `import { existsSync, writeFileSync } from "node:fs";
// More than the redactors' look-ahead, so the first line is written while the agent waits.
console.log("before the wait\\n" + "waiting...\\n".repeat(400));
while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 50));
console.log("after the wait");
writeFileSync("done.txt", "ok\\n");
`,
    );
    const run = p.execRun(agent);
    const dir = await p.runDirWhen("AgentStarted");
    await waitFor("the first line in the artifact", () => {
      try {
        return readFileSync(join(dir, "artifacts", "output-1.log"), "utf8").includes("before");
      } catch {
        return false;
      }
    });
    const follow = p.omk(["run", "logs", "last", "--follow", "--gates"]);
    await new Promise((res) => setTimeout(res, 500));
    writeFileSync(go, "");
    const [{ doc, r }, f] = await Promise.all([run, follow]);
    expect(doc.status, JSON.stringify(doc.reasons) + r.stderr).toBe("ready");
    expect(f.code, f.stderr).toBe(0);
    expect(f.stdout).toMatch(/^before the wait\n(waiting\.\.\.\n){400}\nafter the wait\n/);
    expect(f.stdout).toContain("all ok");
    expect(f.stderr).toContain(`run ${doc.runId}: ready`);
  });
});
