import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunDoc } from "../helpers/cli.js";
import { answerProject, FAKE_KIMI, leaks, ofKind, type Project } from "../helpers/project.js";

const STRIPE = ["sk", "live", "Hq7Zt2Wm9Xc4Vb8Nk3Lp6canary"].join("_");
const GHP = ["ghp", "Mn4Bv6Cx8Za1Sd3Fg5Hj7Kl9Qw2Er4Ty6Uicanary"].join("_");
const OPENAI = ["sk", "proj", "Wq3Er5Ty7Ui9Op1As2Df4Gh6Jk8", "canary"].join("-");
const GH_ENV = ["ghp", "Pl0Ok9Ij8Uh7Yg6Tf5Rd4Es3Wa2Qz1Xc2Vbcanary"].join("_");

const WRITE_42 = { write: { path: "answer.txt", content: "42\n" } };

describe("omk run with kimi (fake kimi --wire, built CLI)", () => {
  let h: Project;
  beforeEach(async () => {
    h = await answerProject({ "README.md": "sample\n" });
  });
  afterEach(async () => {
    await h.cleanup();
  });

  /** `omk run --agent kimi --agent-bin <fake>` with the scenario in OMK_FAKE_KIMI_SCENARIO. */
  async function runKimi(scenario: object, extra: readonly string[] = [], env: Record<string, string> = {}) {
    const file = join(h.sb.dir, "scenario.json");
    writeFileSync(file, JSON.stringify(scenario));
    const r = await h.omk(
      ["run", "--json", "--agent", "kimi", "--agent-bin", FAKE_KIMI, ...extra, "answer"],
      { env: { OMK_FAKE_KIMI_SCENARIO: file, ...env } },
    );
    return { r, doc: r.json<RunDoc>() };
  }

  it("execution auto: the write is approved, committed, and token usage reaches the proof", async () => {
    const { r, doc } = await runKimi({ turns: [{ steps: [{ say: "on it" }, WRITE_42] }] });
    expect(r.code, r.stderr).toBe(0);
    expect(doc.status).toBe("ready");
    expect(h.repo.git(["show", `${doc.branch}:answer.txt`])).toBe("42");

    const events = h.ledger(doc.runId);
    const asked = ofKind(events, "ApprovalAsked");
    expect(asked).toHaveLength(1);
    expect(asked[0]?.data).toMatchObject({ attempt: 1, tool: "WriteFile" });
    const decided = ofKind(events, "ApprovalDecided");
    expect(decided.map((e) => e.data)).toEqual([
      expect.objectContaining({
        requestId: asked[0]?.data["requestId"],
        decision: "approve",
        mode: "auto",
        reason: expect.stringContaining("inside the worktree"),
      }),
    ]);
    const usage = ofKind(events, "AgentEvent").filter(
      (e) => (e.data["event"] as { type: string }).type === "usage",
    );
    expect(usage.length).toBeGreaterThan(0);
    expect(ofKind(events, "AgentStarted")[0]?.data["adapter"]).toBe("kimi");

    const proof = h.proof(doc.runId) as {
      usage: { inputTokens: number; outputTokens: number } | null;
      approvals: { approved: number; rejected: number };
      agent: { adapter: string; execution: string };
    };
    expect(proof.usage?.inputTokens).toBeGreaterThan(0);
    expect(proof.usage?.outputTokens).toBeGreaterThan(0);
    expect(proof.approvals).toEqual({ approved: 1, rejected: 0 });
    expect(proof.agent).toMatchObject({ adapter: "kimi", execution: "auto" });
    expect(doc.usage.inputTokens).toBe(proof.usage?.inputTokens);
  });

  it("execution never: the write is rejected by policy and the run is not_ready with no changes", async () => {
    const { r, doc } = await runKimi({ turns: [{ steps: [WRITE_42] }] }, ["--execution", "never"]);
    expect(r.code).toBe(1);
    expect(doc.status).toBe("not_ready");
    expect(doc.reasons.join("\n")).toMatch(/no changes/);
    const events = h.ledger(doc.runId);
    expect(ofKind(events, "RunStarted")[0]?.data["execution"]).toBe("never");
    expect(ofKind(events, "ApprovalDecided").map((e) => e.data)).toEqual([
      expect.objectContaining({
        decision: "reject",
        mode: "never",
        reason: "execution policy 'never' rejects write and shell tools",
      }),
    ]);
    expect(ofKind(events, "AttemptFinished").map((e) => e.data["outcome"])).toEqual(["no_changes"]);
    expect(existsSync(join(doc.worktree, "answer.txt"))).toBe(false);
    expect(h.repo.git(["ls-tree", "--name-only", doc.branch])).not.toContain("answer.txt");
    expect(h.proof(doc.runId)["approvals"]).toEqual({ approved: 0, rejected: 1 });
  });

  it("execution ask without a terminal fails closed and says so on stderr", async () => {
    const { r, doc } = await runKimi({ turns: [{ steps: [WRITE_42] }] }, ["--execution", "ask"]);
    expect(r.code).toBe(1);
    expect(doc.status).toBe("not_ready");
    const decided = ofKind(h.ledger(doc.runId), "ApprovalDecided").map((e) => e.data);
    expect(decided).toHaveLength(1);
    expect(decided[0]).toMatchObject({ decision: "reject", mode: "ask" });
    expect(String(decided[0]?.["reason"])).toMatch(/no terminal/);
    expect(existsSync(join(doc.worktree, "answer.txt"))).toBe(false);
    // The person reading stderr learns why nothing was approved and what to do instead.
    expect(r.stderr).toMatch(/--execution ask.*(terminal|TTY)/i);
    expect(r.stderr).toMatch(/--execution auto|--execution never/);
  });

  it("canaries: parent-env secrets never reach kimi; secrets kimi prints are persisted and shown nowhere", async () => {
    const dump = join(h.sb.dir, "kimi-env.json");
    const scenario = {
      dumpEnvTo: dump,
      turns: [{ steps: [{ printSecret: STRIPE }, { say: `here is ${GHP} for you` }, WRITE_42] }],
    };
    const { r, doc } = await runKimi(scenario, ["--verbose"], {
      OPENAI_API_KEY: OPENAI,
      GITHUB_TOKEN: GH_ENV,
      KIMI_MODEL_NAME: "kimi-test",
    });
    expect(r.code, r.stderr).toBe(0);
    expect(doc.status).toBe("ready");

    const env = JSON.parse(readFileSync(dump, "utf8")) as Record<string, string>;
    expect(env["PATH"]).toBeTruthy();
    expect(env["OMK_FAKE_KIMI_SCENARIO"]).toBeTruthy();
    expect(env["KIMI_MODEL_NAME"]).toBe("kimi-test");
    expect(env).not.toHaveProperty("OPENAI_API_KEY");
    expect(env).not.toHaveProperty("GITHUB_TOKEN");
    for (const needle of [OPENAI, GH_ENV]) expect(JSON.stringify(env)).not.toContain(needle);

    // The printed text was saved in the attempt's output artifact, with the values redacted (the two
    // text parts are one stream: the redactor may take the next word into the placeholder).
    const saved = readFileSync(join(h.runDir(doc.runId), "artifacts", "output-1.log"), "utf8");
    expect(saved).toContain("debug: token=[REDACTED]");
    expect(saved).toContain("[REDACTED] for you");
    expect(ofKind(h.ledger(doc.runId), "AgentOutputSaved")).toHaveLength(1);

    const show = await h.omk(["run", "show", doc.runId, "--json"]);
    const proofShow = await h.omk(["proof", "show", doc.runId]);
    const outputs = {
      stdout: r.stdout,
      stderr: r.stderr,
      show: show.stdout + show.stderr,
      proofShow: proofShow.stdout + proofShow.stderr,
    };
    const files = h.stateFiles();
    expect(files.length).toBeGreaterThan(2);
    for (const needle of [STRIPE, GHP, OPENAI, GH_ENV]) {
      expect(leaks(needle, files, outputs), needle).toEqual([]);
    }
  });
});
