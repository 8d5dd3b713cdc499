import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Project, project } from "../helpers/project.js";

/**
 * `--agent claude` through the built CLI with a stand-in `claude` that speaks stream-json (the real
 * binary runs in test/e2e). It writes a.txt "bad" in a fresh session and "ok" when resumed, so the
 * run passes only if the retry resumes the session and carries the feedback.
 */

const FAKE_CLAUDE = `import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
const argv = process.argv.slice(2);
if (argv[0] === "--version") { console.log("2.1.332 (Claude Code)"); process.exit(0); }
const stdin = readFileSync(0, "utf8");
appendFileSync(process.env.OMK_TEST_LOG, JSON.stringify({ argv, stdin, env: process.env }) + "\\n");
const resumed = argv.includes("--resume");
const emit = (o) => console.log(JSON.stringify(o));
emit({ type: "system", subtype: "init", session_id: "sess-1", model: "fake-model", claude_code_version: "2.1.332", permissionMode: "acceptEdits" });
emit({ type: "assistant", session_id: "sess-1", message: { content: [{ type: "text", text: "writing" }, { type: "tool_use", id: "t1", name: "Write", input: { file_path: process.cwd() + "/a.txt", content: "x" } }] } });
writeFileSync("a.txt", resumed ? "ok\\n" : "bad\\n");
emit({ type: "user", message: { content: [{ type: "tool_result", tool_use_id: "t1", content: "File written" }] } });
emit({ type: "result", subtype: "success", is_error: false, result: "done", session_id: "sess-1", num_turns: 2, total_cost_usd: 0.0125, usage: { input_tokens: 100, output_tokens: 20 } });
`;

let p: Project | null = null;
afterEach(async () => {
  await p?.cleanup();
  p = null;
});

describe("omk run --agent claude", () => {
  it("resumes Claude Code's session with the gate feedback on a retry; passes only its env contract", async () => {
    p = await project({ "a.txt": "start\n" });
    const claude = p.script("claude", FAKE_CLAUDE);
    const log = join(p.sb.dir, "claude-calls.jsonl");
    const r = await p.omk(["run", "--json", "--agent", "claude", "--max-attempts", "2", "make a.txt ok"], {
      env: {
        CLAUDE_BIN: claude,
        OMK_TEST_LOG: log,
        ANTHROPIC_API_KEY: "sk-ant-contract-key",
        ANTHROPIC_BASE_URL: "http://127.0.0.1:9/",
        GITHUB_TOKEN: "canary-github-token-value",
        UNRELATED_SETTING: "canary-unrelated-value",
      },
    });
    const doc = r.json<{ status: string; attempts: number; runId: string; usage: unknown }>();
    expect(doc.status, r.stderr).toBe("ready");
    expect(doc.attempts).toBe(2);
    // Claude Code's own usage and cost, summed over both attempts.
    expect(doc.usage).toEqual({ inputTokens: 200, outputTokens: 40, costUsd: 0.025 });

    const calls = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { argv: string[]; stdin: string; env: Record<string, string> });
    expect(calls).toHaveLength(2);
    const [first, second] = calls as [(typeof calls)[0], (typeof calls)[0]];
    expect(first.argv).toEqual(expect.arrayContaining(["-p", "--output-format", "stream-json", "--verbose"]));
    expect(first.argv).toEqual(expect.arrayContaining(["--permission-mode", "acceptEdits"]));
    expect(first.argv).not.toContain("--resume");
    // The prompt is claude's stdin, not an argument (argv caps one at 128 KiB and shows in ps).
    expect(first.stdin).toBe("make a.txt ok");
    expect(first.argv).not.toContain("make a.txt ok");
    expect(second.argv.slice(second.argv.indexOf("--resume"), second.argv.indexOf("--resume") + 2)).toEqual([
      "--resume",
      "sess-1",
    ]);
    expect(second.stdin).toMatch(/^Your change did not pass/);
    expect(second.stdin).toContain("not ok: a.txt");

    for (const call of calls) {
      expect(call.env["ANTHROPIC_API_KEY"]).toBe("sk-ant-contract-key");
      expect(call.env["ANTHROPIC_BASE_URL"]).toBe("http://127.0.0.1:9/");
      expect(call.env["GITHUB_TOKEN"]).toBeUndefined();
      expect(call.env["UNRELATED_SETTING"]).toBeUndefined();
    }

    const events = p
      .ledger(doc.runId)
      .filter((l) => l.kind === "AgentEvent")
      .map((l) => l.data["event"] as Record<string, unknown>);
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_call", name: "Write" }));
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_result", diffPaths: ["a.txt"] }));
    expect(events).toContainEqual({ type: "usage", inputTokens: 100, outputTokens: 20, costUsd: 0.0125 });
    const started = p.ledger(doc.runId).filter((l) => l.kind === "AgentStarted");
    expect(started.map((l) => l.data["version"])).toEqual([null, "2.1.332"]);
  });

  it("--execution never runs Claude Code in plan mode with the writing tools disallowed", async () => {
    p = await project({ "a.txt": "start\n" });
    const claude = p.script("claude", FAKE_CLAUDE);
    const log = join(p.sb.dir, "claude-calls.jsonl");
    await p.omk(
      [
        "run",
        "--json",
        "--agent",
        "claude",
        "--execution",
        "never",
        "--max-attempts",
        "1",
        "explain the code",
      ],
      {
        env: { CLAUDE_BIN: claude, OMK_TEST_LOG: log },
      },
    );
    const argv = (JSON.parse(readFileSync(log, "utf8").trim().split("\n")[0] ?? "{}") as { argv: string[] })
      .argv;
    expect(argv).toEqual(expect.arrayContaining(["--permission-mode", "plan", "--disallowedTools"]));
    expect(argv).not.toContain("acceptEdits");
  });

  it("a hostile stream: secrets in its text and tool calls never reach the ledger or the artifacts; no result line is no success", async () => {
    p = await project({ "a.txt": "start\n" });
    const ghp = `ghp_${"A1b2C3d4E5".repeat(4)}`;
    const aws = "AKIAIOSFODNN7EXAMPLE";
    const claude = p.script(
      "claude",
      `const argv = process.argv.slice(2);
if (argv[0] === "--version") { console.log("2.1.332 (Claude Code)"); process.exit(0); }
const emit = (o) => console.log(JSON.stringify(o));
emit({ type: "system", subtype: "init", session_id: "s", model: "m" });
emit({ type: "assistant", message: { content: [{ type: "text", text: "token ${ghp}" }, { type: "tool_use", id: "t1", name: "Bash", input: { command: "curl -H 'Authorization: Bearer ${ghp}' --aws ${aws}" } }] } });
emit({ type: "user", message: { content: [{ type: "tool_result", tool_use_id: "t1", content: "echo ${aws}" }] } });
console.log("{not json " + "${ghp}");
console.log("x".repeat(300000));
process.exit(0);
`,
    );
    const r = await p.omk(["run", "--json", "--agent", "claude", "--max-attempts", "1", "do the thing"], {
      env: { CLAUDE_BIN: claude },
    });
    const doc = r.json<{ status: string; runId: string }>();
    expect(doc.status).not.toBe("ready");
    const finished = p.ledger(doc.runId).find((l) => l.kind === "AgentFinished");
    expect(finished?.data).toMatchObject({ status: "failed" });
    expect(String(finished?.data["detail"])).toContain("without reporting the end of its turn");
    for (const file of p.stateFiles()) {
      const text = readFileSync(file, "latin1");
      expect(text.includes(ghp), file).toBe(false);
      expect(text.includes(aws), file).toBe(false);
    }
    expect(r.stdout + r.stderr).not.toContain(ghp);
  });
});
