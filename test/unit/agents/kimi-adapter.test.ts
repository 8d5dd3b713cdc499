import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createKimiAdapter, kimiArgv, kimiBin, parseVersion } from "../../../src/agents/kimi/adapter.js";
import type {
  AgentEvent,
  AgentSession,
  ApprovalDecision,
  ApprovalRequest,
} from "../../../src/agents/types.js";
import { OmkError } from "../../../src/core/errors.js";
import { baseEnv, FAKE_KIMI, recorder, type TempDir, tempDir, writeScenario } from "./fake-kimi-helpers.js";

const adapter = createKimiAdapter({ handshakeTimeoutMs: 15_000, cancelGraceMs: 5_000, killGraceMs: 1_000 });

describe("kimi adapter against the fake kimi --wire", () => {
  let tmp: TempDir;
  let session: AgentSession | undefined;

  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(async () => {
    await session?.close();
    session = undefined;
    await tmp.cleanup();
  });

  async function start(
    scenario: unknown,
    decide?: (req: ApprovalRequest) => ApprovalDecision,
    extra: { env?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal } = {},
    which = adapter,
  ) {
    const file = await writeScenario(tmp.dir, scenario);
    const rec = recorder(
      {
        worktree: tmp.dir,
        parentEnv: baseEnv({ OMK_FAKE_KIMI_SCENARIO: file, ...extra.env }),
        agentBin: FAKE_KIMI,
        timeoutMs: extra.timeoutMs,
        signal: extra.signal,
      },
      decide,
    );
    session = await which.start(rec.ctx);
    return { rec, session };
  }

  const ofType = <T extends AgentEvent["type"]>(events: AgentEvent[], type: T) =>
    events.filter((e): e is Extract<AgentEvent, { type: T }> => e.type === type);

  it("plays a turn with an approved write: approval event, file written, usage, finished", async () => {
    const { rec, session } = await start({
      turns: [
        { steps: [{ think: "plan" }, { say: "writing" }, { write: { path: "src/a.js", content: "ok\n" } }] },
      ],
    });
    const result = await session.prompt("add a.js", 1);
    expect(result).toMatchObject({ status: "finished", steps: 3 });
    expect(await readFile(join(tmp.dir, "src/a.js"), "utf8")).toBe("ok\n");

    expect(rec.approvals).toEqual([
      {
        requestId: expect.any(String),
        tool: "WriteFile",
        action: "edit file",
        description: "Write file `src/a.js`",
        paths: ["src/a.js"],
      },
    ]);
    const [approval] = ofType(rec.events, "approval");
    expect(approval).toMatchObject({
      tool: "WriteFile",
      paths: ["src/a.js"],
      decision: "approve",
      reason: "test approves",
    });
    expect(ofType(rec.events, "tool_call")[0]).toMatchObject({
      name: "WriteFile",
      summary: "WriteFile src/a.js",
    });
    expect(ofType(rec.events, "tool_result")[0]).toMatchObject({ isError: false, diffPaths: ["src/a.js"] });
    expect(ofType(rec.events, "thinking")).toEqual([{ type: "thinking", text: "plan" }]);
    expect(ofType(rec.events, "text")).toEqual([{ type: "text", text: "writing" }]);
    const usage = ofType(rec.events, "usage");
    expect(usage).toHaveLength(3);
    expect(usage[0]).toEqual({ type: "usage", inputTokens: 105, outputTokens: 10, costUsd: null });
    expect(ofType(rec.events, "step").map((e) => e.n)).toEqual([1, 2, 3]);
  });

  it("a rejected write is not written and the rejection is recorded", async () => {
    const { rec, session } = await start(
      {
        turns: [
          { steps: [{ write: { path: "evil.sh", content: "rm -rf /" } }, { shell: { command: "make" } }] },
        ],
      },
      (req) => ({ decision: "reject", reason: `policy says no to ${req.tool}` }),
    );
    const result = await session.prompt("go", 1);
    expect(result.status).toBe("finished");
    await expect(readFile(join(tmp.dir, "evil.sh"))).rejects.toThrow(/ENOENT/);
    const approvals = ofType(rec.events, "approval");
    expect(approvals.map((a) => [a.tool, a.decision, a.reason])).toEqual([
      ["WriteFile", "reject", "policy says no to WriteFile"],
      ["Shell", "reject", "policy says no to Shell"],
    ]);
    expect(ofType(rec.events, "tool_result").every((r) => r.isError)).toBe(true);
  });

  it("an approval callback that throws is a rejection (fail closed)", async () => {
    const { rec, session } = await start(
      { turns: [{ steps: [{ write: { path: "a.txt", content: "x" } }] }] },
      () => {
        throw new Error("no TTY");
      },
    );
    expect((await session.prompt("go", 1)).status).toBe("finished");
    await expect(readFile(join(tmp.dir, "a.txt"))).rejects.toThrow(/ENOENT/);
    expect(ofType(rec.events, "approval")[0]).toMatchObject({
      decision: "reject",
      reason: expect.stringMatching(/no TTY/),
    });
  });

  it("interrupt() during a hang cancels the turn via JSON-RPC cancel", async () => {
    const { rec, session } = await start({ turns: [{ steps: [{ say: "thinking hard" }, { hang: true }] }] });
    const turn = session.prompt("go", 1);
    await rec.waitFor((e) => e.type === "step" && e.n === 2);
    await session.interrupt();
    const result = await turn;
    expect(result).toMatchObject({ status: "cancelled", detail: "cancelled by omk", steps: 2 });
    // The session survives a cancel: the next prompt plays (the last turn again).
    const again = session.prompt("again", 2);
    await rec.waitFor(
      (e) => e.type === "step" && e.n === 2 && rec.events.filter((x) => x.type === "step").length > 2,
    );
    await session.interrupt();
    expect((await again).status).toBe("cancelled");
  });

  it("kills the group when kimi ignores cancel for longer than the grace", async () => {
    const quick = createKimiAdapter({ cancelGraceMs: 300, killGraceMs: 300 });
    const { rec, session } = await start(
      { ignoreCancel: true, turns: [{ steps: [{ hang: true }] }] },
      undefined,
      {},
      quick,
    );
    const turn = session.prompt("go", 1);
    await rec.waitFor((e) => e.type === "step");
    await session.interrupt();
    const result = await turn;
    expect(result.status).toBe("cancelled");
    expect(result.detail).toMatch(/did not end the turn within 300 ms/);
    expect((await session.prompt("more", 2)).status).toBe("failed");
  });

  it("an aborted signal interrupts the turn, and a turn timeout fails it", async () => {
    const controller = new AbortController();
    const a = await start({ turns: [{ steps: [{ hang: true }] }] }, undefined, { signal: controller.signal });
    const turn = a.session.prompt("go", 1);
    await a.rec.waitFor((e) => e.type === "step");
    controller.abort();
    expect((await turn).status).toBe("cancelled");
    await a.session.close();

    const b = await start({ turns: [{ steps: [{ hang: true }] }] }, undefined, { timeoutMs: 300 });
    const timedOut = await b.session.prompt("go", 1);
    expect(timedOut.status).toBe("failed");
    expect(timedOut.detail).toMatch(/timed out after 300 ms/);
  });

  it("a crash mid-turn is a failed turn with the exit code and stderr", async () => {
    const { session } = await start({ turns: [{ steps: [{ say: "about to die" }, { exit: 3 }] }] });
    const result = await session.prompt("go", 1);
    expect(result.status).toBe("failed");
    expect(result.exitCode).toBe(3);
    expect(result.detail).toMatch(/PROCESS_CRASHED/);
    expect(result.detail).toMatch(/exited with code 3/);
    expect(result.detail).toMatch(/exiting with 3 mid-turn/);
    const after = await session.prompt("again", 2);
    expect(after.status).toBe("failed");
    expect(after.detail).toMatch(/not running/);
  });

  it("maps JSON-RPC errors -32000..-32003 to clear details", async () => {
    const { session } = await start({
      turns: [{ steps: [{ rpcError: { code: -32001, message: "LLM is not set" } }] }],
    });
    const result = await session.prompt("go", 1);
    expect(result.status).toBe("failed");
    expect(result.detail).toMatch(/^LLM_NOT_SET: .*KIMI_BASE_URL.*LLM is not set$/);
  });

  it("keeps several prompts in one session and passes the feedback file", async () => {
    const { rec, session } = await start({
      turns: [{ steps: [{ echo: true }] }, { steps: [{ say: "second" }, { echo: true }] }],
    });
    expect((await session.prompt("first task", 1)).status).toBe("finished");
    const feedback = join(tmp.dir, "feedback.md");
    expect((await session.prompt("gates failed", 2, feedback)).status).toBe("finished");
    const texts = ofType(rec.events, "text").map((e) => e.text);
    expect(texts).toEqual(["first task", "second", `gates failed\n\n(Full feedback: ${feedback})`]);
  });

  it("records protocol violations as redacted status events and keeps going", async () => {
    const secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    const { rec, session } = await start({
      turns: [
        {
          steps: [
            { raw: `garbage ${secret}` },
            { raw: '{"jsonrpc":"2.0","method":"event","params":{"type":"Bogus"}}' },
            { say: "still here" },
          ],
        },
      ],
    });
    const result = await session.prompt("go", 1);
    expect(result.status).toBe("finished");
    const statuses = ofType(rec.events, "status").map((e) => e.message);
    expect(statuses.some((m) => /non-JSON line/.test(m))).toBe(true);
    expect(statuses.some((m) => /invalid kimi event/.test(m))).toBe(true);
    expect(statuses.join("\n")).not.toContain(secret);
    expect(ofType(rec.events, "text")).toEqual([{ type: "text", text: "still here" }]);
  });

  it("answers questions with no selection and external tool calls with an error", async () => {
    const { rec, session } = await start({
      turns: [
        {
          steps: [
            { ask: { question: "Which db?", options: ["pg", "sqlite"] } },
            { externalTool: { name: "lookup" } },
          ],
        },
      ],
    });
    // The fake exits 65 if either answer does not validate, which would fail this turn.
    expect((await session.prompt("go", 1)).status).toBe("finished");
    const results = ofType(rec.events, "tool_result");
    expect(results.map((r) => r.isError)).toEqual([false, true]);
    expect(results[0]?.summary).toBe("answered");
  });

  it("gives the agent only allowlisted env plus its own contract (canary)", async () => {
    const dump = join(tmp.dir, "env.json");
    const canaries = {
      OPENAI_API_KEY: "sk-canary-openai-0123456789abcdef",
      GITHUB_TOKEN: "ghp_canaryCANARYcanaryCANARYcanary0123",
      FOO_SECRET: "canary-foo-secret-value",
      AWS_SECRET_ACCESS_KEY: "canary-aws-secret",
    };
    const { session } = await start({ dumpEnvTo: dump, turns: [{ steps: [{ say: "hi" }] }] }, undefined, {
      env: {
        ...canaries,
        KIMI_API_KEY: "kimi-key-for-the-agent",
        KIMI_BASE_URL: "http://127.0.0.1:9/v1",
        OMK_DEBUG: "1",
      },
    });
    await session.prompt("go", 1);
    const env = JSON.parse(await readFile(dump, "utf8")) as Record<string, string>;
    const all = JSON.stringify(env);
    for (const [name, value] of Object.entries(canaries)) {
      expect(env[name]).toBeUndefined();
      expect(all).not.toContain(value);
    }
    expect(env["PATH"]).toBe(process.env["PATH"]);
    expect(env["HOME"]).toBe(process.env["HOME"]);
    expect(env["KIMI_API_KEY"]).toBe("kimi-key-for-the-agent");
    expect(env["KIMI_BASE_URL"]).toBe("http://127.0.0.1:9/v1");
    expect(env["OMK_FAKE_KIMI_SCENARIO"]).toBeDefined();
  });

  it("fails start with AGENT_NOT_FOUND for a missing binary, and clear errors for a slow or interrupted handshake", async () => {
    const missing = recorder({
      worktree: tmp.dir,
      parentEnv: baseEnv(),
      agentBin: join(tmp.dir, "no-such-kimi"),
    });
    const e1 = await adapter.start(missing.ctx).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(OmkError);
    expect((e1 as OmkError).code).toBe("AGENT_NOT_FOUND");
    expect((e1 as OmkError).hint).toMatch(/--agent-bin/);

    const notOnPath = recorder({ worktree: tmp.dir, parentEnv: { PATH: tmp.dir } });
    expect(await adapter.start(notOnPath.ctx).catch((e: unknown) => (e as OmkError).code)).toBe(
      "AGENT_NOT_FOUND",
    );

    const slow = createKimiAdapter({ handshakeTimeoutMs: 200 });
    const file = await writeScenario(tmp.dir, { initializeDelayMs: 30_000, turns: [{ steps: [] }] });
    const rec = recorder({
      worktree: tmp.dir,
      parentEnv: baseEnv({ OMK_FAKE_KIMI_SCENARIO: file }),
      agentBin: FAKE_KIMI,
    });
    const e2 = await slow.start(rec.ctx).catch((e: unknown) => e);
    expect((e2 as OmkError).code).toBe("AGENT_PROTOCOL");
    expect((e2 as OmkError).message).toMatch(/HANDSHAKE_TIMEOUT/);

    const controller = new AbortController();
    const aborted = recorder({
      worktree: tmp.dir,
      parentEnv: baseEnv({ OMK_FAKE_KIMI_SCENARIO: file }),
      agentBin: FAKE_KIMI,
      signal: controller.signal,
    });
    const pending = adapter.start(aborted.ctx).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 100);
    expect(((await pending) as OmkError).code).toBe("INTERRUPTED");
  });

  it("an executable that exits at once fails start with its stderr", async () => {
    const rec = recorder({
      worktree: tmp.dir,
      parentEnv: baseEnv(),
      agentBin: FAKE_KIMI,
      agentArgs: ["--scenario", join(tmp.dir, "missing.json")],
    });
    const error = (await adapter.start(rec.ctx).catch((e: unknown) => e)) as OmkError;
    expect(error.code).toBe("AGENT_FAILED");
    expect(error.message).toMatch(/exited with code 2/);
    expect(error.message).toMatch(/cannot read scenario/);
  });
});

describe("kimi adapter pieces", () => {
  it("resolves the binary: --agent-bin, then KIMI_BIN, then MOCK_KIMI, then kimi", () => {
    expect(kimiBin({ KIMI_BIN: "/k", MOCK_KIMI: "/m" }, "/a")).toEqual({ bin: "/a", source: "--agent-bin" });
    expect(kimiBin({ KIMI_BIN: "/k", MOCK_KIMI: "/m" })).toEqual({ bin: "/k", source: "KIMI_BIN" });
    expect(kimiBin({ MOCK_KIMI: "/m" })).toEqual({ bin: "/m", source: "MOCK_KIMI" });
    expect(kimiBin({})).toEqual({ bin: "kimi", source: "PATH" });
  });

  it("builds argv without --yolo", () => {
    expect(kimiArgv("/bin/kimi", { worktree: "/w", model: "k2", agentArgs: ["--thinking"] })).toEqual([
      "/bin/kimi",
      "--wire",
      "--work-dir",
      "/w",
      "--model",
      "k2",
      "--thinking",
    ]);
    expect(kimiArgv("/bin/kimi", { worktree: "/w" })).not.toContain("--yolo");
  });

  it("parses versions", () => {
    expect(parseVersion("kimi, version 1.2.3\n")).toBe("1.2.3");
    expect(parseVersion("0.45\n")).toBe("0.45");
    expect(parseVersion("weird build\n")).toBe("weird build");
    expect(parseVersion("")).toBeNull();
  });

  it("detect() reports how each fact was learned", async () => {
    const health = await adapter.detect({
      cwd: process.cwd(),
      parentEnv: baseEnv({ KIMI_MODEL_NAME: "kimi-k2" }),
      agentBin: FAKE_KIMI,
    });
    expect(health.adapter).toBe("kimi");
    expect(health.installed.value).toBe(true);
    expect(health.version).toEqual({ value: "0.0.0-fake", how: `\`${FAKE_KIMI} --version\` exit 0` });
    expect(health.auth.value).toBe("unknown");
    expect(health.auth.how).toMatch(/KIMI_API_KEY is not set/);
    expect(health.model).toEqual({ value: "kimi-k2", how: "KIMI_MODEL_NAME" });

    const missing = await adapter.detect({ cwd: process.cwd(), parentEnv: { PATH: "/nonexistent" } });
    expect(missing.installed).toEqual({ value: false, how: "kimi (from PATH) is not an executable file" });
    expect(missing.version.value).toBeNull();
  });
});
