import { readFileSync, statSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { type ModelServer, startModelServer } from "../fixtures/model-server/server.js";
import { FAKE_KIMI, type Project, project } from "../helpers/project.js";

/**
 * `omk ask` through the built CLI: DeepSeek through the real `openai` client against the fake model
 * server (Chat Completions SSE), agent CLIs through stand-ins that speak their stream and log argv.
 */

const KEY = "sk-0123456789abcdef0123456789abcdef";
const ANSWER = "Use a bounded retry loop with jittered backoff.";

interface AskDoc {
  ok: boolean;
  askId: string;
  provider: string;
  via: string | null;
  mode: string;
  model: string | null;
  answer: string;
  usage: { inputTokens: number | null; outputTokens: number | null; costUsd: number | null } | null;
  run: { runId: string; diff: { source: string; bytes: number; sentBytes: number }; gates: unknown[] } | null;
  record: string;
}

let p: Project | null = null;
let server: ModelServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  await p?.cleanup();
  p = null;
});

async function deepseekServer(): Promise<ModelServer> {
  server = await startModelServer({
    steps: [],
    final: "unused",
    side: ANSWER,
    usage: { input: 77, output: 11 },
  });
  return server;
}

function chatRequests(s: ModelServer) {
  return s.requests.filter((r) => r.wire === "chat");
}

/** A stand-in `claude`: `--version`, `auth status` (logged in), else one stream-json turn answering with its cwd. */
const FAKE_CLAUDE = `import { appendFileSync, readFileSync } from "node:fs";
const argv = process.argv.slice(2);
if (argv[0] === "--version") { console.log("2.1.332 (Claude Code)"); process.exit(0); }
if (argv.join(" ") === "auth status") { console.log(JSON.stringify({ loggedIn: true, authMethod: "test" })); process.exit(0); }
const stdin = readFileSync(0, "utf8");
appendFileSync(process.env.OMK_TEST_LOG, JSON.stringify({ argv, stdin, cwd: process.cwd(), env: process.env }) + "\\n");
const emit = (o) => console.log(JSON.stringify(o));
console.error("claude: some warning on stderr");
emit({ type: "system", subtype: "init", session_id: "s1", model: "fake-model", permissionMode: "plan" });
emit({ type: "assistant", message: { content: [{ type: "tool_use", id: "t1", name: "Read", input: { file_path: "a.txt" } }] } });
emit({ type: "user", message: { content: [{ type: "tool_result", tool_use_id: "t1", content: "ok" }] } });
emit({ type: "assistant", message: { content: [{ type: "text", text: "claude says: a.txt looks fine. env=" + JSON.stringify(process.env) }] } });
emit({ type: "result", subtype: "success", is_error: false, result: "done", num_turns: 2, total_cost_usd: 0.01, usage: { input_tokens: 50, output_tokens: 5 } });
`;

describe("omk ask deepseek (the API, against the fake model server)", () => {
  it("prints the scripted answer, sends the question with the key only in Authorization, records the ask", async () => {
    p = await project({ "a.txt": "ok\n" });
    const s = await deepseekServer();
    const r = await p.omk(["ask", "deepseek", "how", "should", "I", "retry?"], {
      env: { DEEPSEEK_API_KEY: KEY, DEEPSEEK_BASE_URL: s.url },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${ANSWER}\n`);
    const reqs = chatRequests(s);
    expect(reqs).toHaveLength(1);
    const req = reqs[0]!;
    expect(req.url).toBe("/chat/completions");
    expect(req.headers["authorization"]).toBe(`Bearer ${KEY}`);
    const body = JSON.parse(req.body) as {
      model: string;
      stream: boolean;
      messages: { role: string; content: string }[];
    };
    expect(body.model).toBe("deepseek-chat");
    expect(body.stream).toBe(true);
    expect(body.messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(body.messages[0]!.content).toContain("read-only");
    expect(body.messages[1]!.content).toContain("how should I retry?");
    // The key travels in that one header and nowhere else.
    expect(s.allText().split(KEY)).toHaveLength(2);

    const records = p.stateFiles().filter((f) => /\/asks\/ask-[^/]+\.json$/.test(f));
    expect(records).toHaveLength(1);
    expect(statSync(records[0]!).mode & 0o777).toBe(0o600);
    const rec = JSON.parse(readFileSync(records[0]!, "utf8")) as Record<string, unknown>;
    expect(rec).toMatchObject({
      schema: "omk.ask/v1",
      provider: "deepseek",
      via: null,
      mode: "api",
      model: "deepseek-chat",
      question: "how should I retry?",
      status: "answered",
      answer: ANSWER,
      usage: { inputTokens: 77, outputTokens: 11, costUsd: null },
      run: null,
      error: null,
    });
    expect(r.stderr).toContain(`recorded: ${records[0]}`);
  });

  it("--json: one document with the answer, usage and the record's path; [providers.deepseek] model is used", async () => {
    p = await project({
      "a.txt": "ok\n",
      ".omk/config.toml": '[providers.deepseek]\nmodel = "deepseek-reasoner"\n',
    });
    const s = await deepseekServer();
    const r = await p.omk(["ask", "--json", "deepseek", "hello?"], {
      env: { DEEPSEEK_API_KEY: KEY, DEEPSEEK_BASE_URL: s.url },
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<AskDoc>();
    expect(doc).toMatchObject({
      ok: true,
      provider: "deepseek",
      via: null,
      mode: "api",
      model: "deepseek-reasoner",
      answer: ANSWER,
      usage: { inputTokens: 77, outputTokens: 11, costUsd: null },
      run: null,
    });
    expect(doc.askId).toMatch(/^ask-/);
    expect(doc.record).toContain(`/asks/${doc.askId}.json`);
    expect((JSON.parse(chatRequests(s)[0]!.body) as { model: string }).model).toBe("deepseek-reasoner");
  });

  it("the base URL can come from [providers.deepseek] base_url", async () => {
    const s = await deepseekServer();
    p = await project({
      "a.txt": "ok\n",
      ".omk/config.toml": `[providers.deepseek]\nbase_url = "${s.url}"\n`,
    });
    const r = await p.omk(["ask", "deepseek", "hi"], { env: { DEEPSEEK_API_KEY: KEY } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${ANSWER}\n`);
  });

  it("without DEEPSEEK_API_KEY: exit 2 saying so, nothing sent, nothing recorded", async () => {
    p = await project({ "a.txt": "ok\n" });
    const s = await deepseekServer();
    const r = await p.omk(["ask", "deepseek", "hi"], {
      env: { DEEPSEEK_API_KEY: "", DEEPSEEK_BASE_URL: s.url },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("DEEPSEEK_API_KEY is not set");
    expect(r.stderr).toContain("DEEPSEEK_API_KEY environment variable");
    expect(s.requests).toHaveLength(0);
    expect(p.stateFiles().filter((f) => f.includes("/asks/"))).toEqual([]);
  });

  it("--run: the run's diff and gate results go along as context, and the record names the run", async () => {
    p = await project({ "a.txt": "ok\n" });
    const agent = p.writerAgent("writer", { "b.txt": "ok: a line the agent wrote\n" });
    const { doc: run } = await p.execRun(agent);
    expect(run.status).toBe("ready");
    const s = await deepseekServer();
    const r = await p.omk(["ask", "--json", "deepseek", "--run", run.runId, "is this change safe?"], {
      env: { DEEPSEEK_API_KEY: KEY, DEEPSEEK_BASE_URL: s.url },
    });
    expect(r.code, r.stderr).toBe(0);
    const user = (JSON.parse(chatRequests(s)[0]!.body) as { messages: { content: string }[] }).messages[1]!
      .content;
    expect(user).toContain(`omk run ${run.runId}`);
    expect(user).toContain("+ok: a line the agent wrote");
    expect(user).toContain("diff --git a/b.txt b/b.txt");
    expect(user).toMatch(/- txt: pass \(exit 0/);
    expect(user).toContain("fix the thing");
    expect(user.indexOf("## Question")).toBeGreaterThan(user.indexOf("diff --git"));
    const doc = r.json<AskDoc>();
    expect(doc.run).toMatchObject({
      runId: run.runId,
      diff: { source: "commit" },
      gates: [{ name: "txt", status: "pass" }],
    });
    expect(doc.run!.diff.sentBytes).toBe(doc.run!.diff.bytes);
  });

  it("a huge diff is cut to its first 48 KiB, and the cut is marked", async () => {
    p = await project({ "a.txt": "ok\n" });
    const big = Array.from({ length: 4000 }, (_, i) => `ok line ${i} ${"x".repeat(40)}`).join("\n");
    const { doc: run } = await p.execRun(p.writerAgent("big", { "big.txt": big }));
    const s = await deepseekServer();
    const r = await p.omk(["ask", "--json", "deepseek", "--run", "last", "summarize"], {
      env: { DEEPSEEK_API_KEY: KEY, DEEPSEEK_BASE_URL: s.url },
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<AskDoc>();
    expect(doc.run!.runId).toBe(run.runId);
    expect(doc.run!.diff.sentBytes).toBeLessThanOrEqual(48 * 1024);
    expect(doc.run!.diff.bytes).toBeGreaterThan(150_000);
    const user = (JSON.parse(chatRequests(s)[0]!.body) as { messages: { content: string }[] }).messages[1]!
      .content;
    expect(user).toContain("[diff cut: the first");
    expect(user.length).toBeLessThan(60_000);
  });
});

describe("omk ask <agent CLI>: read-only mode, in a throwaway worktree", () => {
  it("claude runs in plan mode with the writing tools disallowed; its text is the answer, stderr is not", async () => {
    p = await project({ "a.txt": "ok\n" });
    const claude = p.script("claude", FAKE_CLAUDE);
    const log = `${p.sb.dir}/claude.jsonl`;
    const r = await p.omk(["ask", "--json", "claude", "is a.txt fine?"], {
      env: {
        CLAUDE_BIN: claude,
        OMK_TEST_LOG: log,
        DEEPSEEK_API_KEY: KEY,
        GITHUB_TOKEN: "ghp_canaryCanaryCanary0123456789abcdefAB",
      },
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<AskDoc>();
    expect(doc).toMatchObject({
      provider: "claude",
      mode: "cli",
      usage: { inputTokens: 50, outputTokens: 5, costUsd: 0.01 },
    });
    expect(doc.answer).toContain("claude says: a.txt looks fine.");
    expect(doc.answer).not.toContain("some warning on stderr");
    // Neither the DeepSeek key nor anything else outside claude's contract reached it.
    expect(doc.answer).not.toContain(KEY);
    expect(doc.answer).not.toContain("ghp_canary");
    const call = JSON.parse(readFileSync(log, "utf8").trim()) as {
      argv: string[];
      stdin: string;
      cwd: string;
    };
    expect(call.argv).toEqual(expect.arrayContaining(["--permission-mode", "plan", "--disallowedTools"]));
    // The question travels on stdin, never in argv.
    expect(call.stdin).toContain("is a.txt fine?");
    expect(call.stdin).toContain("read-only");
    expect(call.argv.join(" ")).not.toContain("is a.txt fine?");
    expect(call.cwd).toContain("/.omk/worktrees/ask-");
    expect(call.cwd).not.toBe(p.repo.root);
    expect(r.stderr).toContain("Read a.txt");
    // The throwaway worktree is gone, and the checkout is untouched.
    expect(p.repo.git(["worktree", "list"]).split("\n")).toHaveLength(1);
    expect(p.repo.git(["status", "--porcelain"])).toBe("");
  });

  it("kimi: its write is rejected by the never policy, nothing changes, its text is the answer", async () => {
    p = await project({ "a.txt": "ok\n" });
    const scenario = `${p.sb.dir}/kimi-scenario.json`;
    writeFileSync(
      scenario,
      JSON.stringify({
        turns: [
          {
            steps: [
              { write: { path: "a.txt", content: "changed\n" } },
              { say: "kimi says: leave a.txt alone" },
            ],
            status: "finished",
          },
        ],
      }),
    );
    const r = await p.omk(["ask", "--json", "kimi", "--agent-bin", FAKE_KIMI, "should a.txt change?"], {
      env: { OMK_FAKE_KIMI_SCENARIO: scenario },
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<AskDoc>();
    expect(doc).toMatchObject({ provider: "kimi", mode: "cli", answer: "kimi says: leave a.txt alone" });
    expect(readFileSync(`${p.repo.root}/a.txt`, "utf8")).toBe("ok\n");
    expect(p.repo.git(["status", "--porcelain"])).toBe("");
    expect(p.repo.git(["worktree", "list"]).split("\n")).toHaveLength(1);
  });

  it("exec has no read-only mode and replay cannot read: exit 2 with why", async () => {
    p = await project({ "a.txt": "ok\n" });
    const exec = await p.omk(["ask", "exec", "hi"]);
    expect(exec.code).toBe(2);
    expect(exec.stderr).toContain("exec cannot be consulted: no read-only mode");
    const replay = await p.omk(["ask", "replay:last", "hi"]);
    expect(replay.code).toBe(2);
    expect(replay.stderr).toContain("replay cannot be consulted");
    const unknown = await p.omk(["ask", "gpt9", "hi"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown agent adapter: gpt9");
  });
});

describe("provider policy: [providers] and --agent authority | primary | omk", () => {
  it("ask authority passes over an absent CLI and picks the next healthy provider", async () => {
    p = await project({
      "a.txt": "ok\n",
      ".omk/config.toml": '[providers]\nauthority = ["claude", "deepseek"]\n',
    });
    const s = await deepseekServer();
    const r = await p.omk(["ask", "--json", "authority", "hi"], {
      env: { CLAUDE_BIN: "/nonexistent/claude", DEEPSEEK_API_KEY: KEY, DEEPSEEK_BASE_URL: s.url },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<AskDoc>()).toMatchObject({ provider: "deepseek", via: "authority", answer: ANSWER });
    expect(r.stderr).toContain("--agent authority: deepseek (passed over claude: not installed");
  });

  it("ask primary picks the first healthy candidate (claude) and never asks the next", async () => {
    p = await project({
      "a.txt": "ok\n",
      ".omk/config.toml": '[providers]\nprimary = ["claude", "deepseek"]\n',
    });
    const s = await deepseekServer();
    const r = await p.omk(["ask", "--json", "primary", "hi"], {
      env: {
        CLAUDE_BIN: p.script("claude", FAKE_CLAUDE),
        OMK_TEST_LOG: `${p.sb.dir}/claude.jsonl`,
        DEEPSEEK_API_KEY: KEY,
        DEEPSEEK_BASE_URL: s.url,
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<AskDoc>()).toMatchObject({ provider: "claude", via: "primary" });
    expect(s.requests).toHaveLength(0);
  });

  it("unresolvable: exit 2 listing every candidate and why it was refused", async () => {
    p = await project({
      "a.txt": "ok\n",
      ".omk/config.toml": '[providers]\nprimary = ["claude", "deepseek"]\n',
    });
    const r = await p.omk(["ask", "--json", "primary", "hi"], {
      env: { CLAUDE_BIN: "/nonexistent/claude", DEEPSEEK_API_KEY: "" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--agent primary: no provider can answer a question read-only");
    expect(r.stderr).toMatch(/claude: not installed: \/nonexistent\/claude/);
    expect(r.stderr).toContain("deepseek: not authenticated: DEEPSEEK_API_KEY is not set");
    expect(r.json<{ ok: boolean; error: { code: string } }>()).toMatchObject({
      ok: false,
      error: { code: "USAGE" },
    });
  });

  it("run --agent authority refuses a read-only provider by the read-only rule, and an empty list says so", async () => {
    p = await project({ "a.txt": "ok\n", ".omk/config.toml": '[providers]\nauthority = ["deepseek"]\n' });
    const r = await p.omk(["run", "--agent", "authority", "explain the code"], {
      env: { DEEPSEEK_API_KEY: KEY },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "deepseek: read-only (read): a run needs an agent that may write and run commands",
    );
    const empty = await p.omk(["run", "--agent", "primary", "explain the code"]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("[providers] primary is empty");
    expect(p.stateFiles().filter((f) => f.includes("/runs/"))).toEqual([]);
  });

  it("run --agent primary skips deepseek (read-only) and an absent CLI, and runs with the healthy one", async () => {
    p = await project({
      "a.txt": "start\n",
      ".omk/config.toml": '[providers]\nprimary = ["deepseek", "codex", "claude"]\n',
    });
    // The stand-in also edits, as a run's agent does.
    const claude = p.script(
      "claude",
      `${FAKE_CLAUDE}\n(await import("node:fs")).writeFileSync("a.txt", "ok\\n");\n`,
    );
    const r = await p.omk(["run", "--json", "--agent", "primary", "make a.txt ok"], {
      env: {
        CLAUDE_BIN: claude,
        CODEX_BIN: "/nonexistent/codex",
        OMK_TEST_LOG: `${p.sb.dir}/c.jsonl`,
        DEEPSEEK_API_KEY: KEY,
      },
    });
    const doc = r.json<{ status: string; runId: string }>();
    expect(doc.status, r.stderr).toBe("ready");
    expect(r.stderr).toContain("--agent primary: claude (passed over deepseek: read-only");
    expect(r.stderr).toContain("codex: not installed");
    expect(p.ledger(doc.runId)[0]!.data["agent"]).toMatchObject({ name: "claude" });
  });

  it("an unknown provider in [providers] is a config error naming the file and line", async () => {
    p = await project({
      "a.txt": "ok\n",
      ".omk/config.toml": '[providers]\nauthority = ["claude", "claud"]\n',
    });
    const r = await p.omk(["ask", "authority", "hi"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.omk\/config\.toml:2:1: providers\.authority\.1: unknown provider "claud"/);
  });
});
