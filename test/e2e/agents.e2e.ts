import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { agentDescriptors } from "../../src/agents/registry.js";
import { type ModelServer, type Scenario, startModelServer } from "../fixtures/model-server/server.js";
import type { RunDoc } from "../helpers/cli.js";
import { type LedgerLine, type Project, project } from "../helpers/project.js";
import { type Cli, cacheDir, cliPath, PINNED, sandboxWorks } from "./clis.js";

/**
 * The real Claude Code and Codex binaries, driven by the built omk against the fake model server:
 * the scripted edit makes the failing gate pass (→ ready), and none of the canaries planted in omk's
 * environment reaches the model server, the CLI's own environment (dumped by a scripted shell call,
 * whose output travels back to the server), omk's files or its output.
 */

const CANARY_NAMES = [
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "NPM_TOKEN",
  "NODE_AUTH_TOKEN",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "OPENAI_API_KEY",
  "DEEPSEEK_API_KEY",
  "GEMINI_API_KEY",
  "KIMI_API_KEY",
  "DATABASE_URL",
  "SLACK_BOT_TOKEN",
  "STRIPE_SECRET_KEY",
  "MY_PASSWORD",
  "SENTRY_DSN",
  "HF_TOKEN",
  "OMK_CANARY_TOKEN",
  "COMPANY_INTERNAL_NOTE",
  "PGPASSWORD",
  "SESSION_COOKIE",
];

/** 20 canaries; a name in the adapter's own env contract is replaced (the CLI is meant to get that one). */
function canaries(contract: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  CANARY_NAMES.forEach((name, i) => {
    out[contract.includes(name) ? `EXTRA_SECRET_${i}` : name] =
      `canary${i}x${Math.random().toString(36).slice(2, 12)}`;
  });
  return out;
}

const homes: string[] = [];

/** A private HOME per CLI run, outside /tmp (see clis.ts); removed after the test. */
function privateHome(name: string): string {
  const dir = join(cacheDir(), "homes", `${name}-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  homes.push(dir);
  return dir;
}

let server: ModelServer | null = null;
let p: Project | null = null;
afterEach(async () => {
  await server?.close();
  await p?.cleanup();
  for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true });
  server = null;
  p = null;
});

interface E2eRun {
  doc: RunDoc;
  ledger: LedgerLine[];
  secrets: Record<string, string>;
  stdout: string;
  stderr: string;
}

async function runAgent(
  agent: Cli,
  scenario: Scenario,
  env: (url: string, home: string) => Record<string, string>,
  start = "bad\n",
  extra: readonly string[] = [],
): Promise<E2eRun> {
  server = await startModelServer(scenario);
  p = await project({ "a.txt": start });
  const home = privateHome(agent);
  const d = agentDescriptors().find((x) => x.name === agent);
  const secrets = canaries([...(d?.env.secrets ?? []), ...(d?.env.passThrough ?? [])]);
  expect(Object.keys(secrets)).toHaveLength(20);
  const r = await p.omk(
    [
      "run",
      "--json",
      "--agent",
      agent,
      "--agent-bin",
      cliPath(agent),
      "--max-attempts",
      "2",
      ...extra,
      "make a.txt say ok",
    ],
    {
      env: { ...secrets, HOME: home, ...env(server.url, home) },
      timeoutMs: 170_000,
    },
  );
  const doc = r.json<RunDoc>();
  // OMK_E2E_DEBUG=1: what the server answered, omk's progress and the ledger, for a failing scenario.
  if (process.env["OMK_E2E_DEBUG"] === "1") {
    console.log(
      JSON.stringify(
        server.requests.map((q) => [q.url, q.reply, q.body.includes("did not pass the project")]),
      ),
    );
    console.log(r.stderr);
    for (const l of p.ledger(doc.runId) as unknown as Array<{ ts: string; kind: string; data: unknown }>)
      console.log(l.ts, l.kind, JSON.stringify(l.data).slice(0, 160));
  }
  return { doc, ledger: p.ledger(doc.runId), secrets, stdout: r.stdout, stderr: r.stderr };
}

function agentEvents(ledger: LedgerLine[]): Array<Record<string, unknown>> {
  return ledger.filter((l) => l.kind === "AgentEvent").map((l) => l.data["event"] as Record<string, unknown>);
}

function expectNoCanary(run: E2eRun): void {
  if (server === null || p === null) throw new Error("no run");
  const places: Array<[string, string]> = [
    ["model server requests", server.allText()],
    ["omk stdout", run.stdout],
    ["omk stderr", run.stderr],
    ...p.stateFiles().map((f): [string, string] => [f, readFileSync(f, "latin1")]),
  ];
  for (const [name, value] of Object.entries(run.secrets)) {
    for (const [where, text] of places) {
      expect(text.includes(value), `${name} leaked into ${where}`).toBe(false);
    }
  }
}

describe("real agent CLIs against the fake model server", () => {
  it("claude: Write tool edits the file, Bash dumps env; ready, ledger shows the tool calls and the change", async () => {
    const run = await runAgent(
      "claude",
      {
        steps: [
          { tool: "Write", input: { file_path: "a.txt", content: "ok\n" } },
          { tool: "Bash", input: { command: "env", description: "dump env" } },
        ],
        final: "done",
      },
      (url) => ({
        ANTHROPIC_BASE_URL: url,
        ANTHROPIC_API_KEY: "sk-ant-e2e-fake-key",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      }),
    );
    expect(run.doc.status, run.stderr).toBe("ready");
    const events = agentEvents(run.ledger);
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_call", name: "Write" }));
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_call", name: "Bash" }));
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_result", diffPaths: ["a.txt"] }));
    expect(events).toContainEqual(
      expect.objectContaining({ type: "usage", inputTokens: expect.any(Number) }),
    );
    // The env dump reached the server (so the canary check below covers the CLI's environment).
    expect(server?.allText()).toContain("PATH=");
    expectNoCanary(run);
  });

  it("codex: apply_patch through its shell tool edits the file, env dumped; ready, ledger shows the change", async () => {
    const run = await runAgent(
      "codex",
      {
        steps: [
          {
            tool: "exec_command",
            input: {
              cmd: "apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: a.txt\n@@\n-bad\n+ok\n*** End Patch\nEOF\n",
            },
          },
          { tool: "exec_command", input: { cmd: "env" } },
        ],
        final: "done",
      },
      (url, home) => {
        const codexHome = join(home, ".codex");
        mkdirSync(codexHome, { recursive: true });
        writeFileSync(
          join(codexHome, "config.toml"),
          `model = "gpt-5.4"\nmodel_provider = "fake"\n\n[model_providers.fake]\nname = "fake"\nbase_url = "${url}/v1"\nwire_api = "responses"\n`,
        );
        return { CODEX_HOME: codexHome };
      },
    );
    expect(run.doc.status, run.stderr).toBe("ready");
    const events = agentEvents(run.ledger);
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_result", diffPaths: ["a.txt"] }));
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_call", name: "command_execution" }));
    expect(events).toContainEqual(
      expect.objectContaining({ type: "usage", inputTokens: expect.any(Number) }),
    );
    expect(server?.allText()).toContain("PATH=");
    expectNoCanary(run);
  });
});

const CLAUDE_ENV = (url: string): Record<string, string> => ({
  ANTHROPIC_BASE_URL: url,
  ANTHROPIC_API_KEY: "sk-ant-e2e-fake-key",
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
});

function codexEnv(url: string, home: string): Record<string, string> {
  const codexHome = join(home, ".codex");
  mkdirSync(codexHome, { recursive: true });
  writeFileSync(
    join(codexHome, "config.toml"),
    `model = "gpt-5.4"\nmodel_provider = "fake"\n\n[model_providers.fake]\nname = "fake"\nbase_url = "${url}/v1"\nwire_api = "responses"\n`,
  );
  return { CODEX_HOME: codexHome };
}

function patch(from: string, to: string): string {
  return `apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: a.txt\n@@\n-${from}\n+${to}\n*** End Patch\nEOF\n`;
}

/** The request that answered the second prompt: it must carry the feedback and the first turn's history. */
function resumedRequest(): string {
  const texts = (server?.requests ?? [])
    .map((r) => r.body)
    .filter((b) => b.includes("did not pass the project"));
  expect(texts.length).toBeGreaterThan(0);
  return texts[0] ?? "";
}

/** Gemini CLI reads its auth type from settings; the router model is skipped with an explicit --model. */
function geminiEnv(url: string, home: string): Record<string, string> {
  mkdirSync(join(home, ".gemini"), { recursive: true });
  writeFileSync(
    join(home, ".gemini", "settings.json"),
    JSON.stringify({ security: { auth: { selectedType: "gemini-api-key" } } }),
  );
  return { GOOGLE_GEMINI_BASE_URL: url, GEMINI_API_KEY: "gemini-e2e-fake-key" };
}

const GEMINI_MODEL = ["--model", "gemini-2.5-pro"];

describe("gemini", () => {
  it("write_file edits the file, run_shell_command dumps env; ready, ledger shows the change", async () => {
    const run = await runAgent(
      "gemini",
      {
        steps: [
          { tool: "write_file", input: { file_path: "a.txt", content: "ok\n" } },
          { tool: "run_shell_command", input: { command: "env" } },
        ],
        final: "done",
      },
      geminiEnv,
      "bad\n",
      GEMINI_MODEL,
    );
    expect(run.doc.status, run.stderr).toBe("ready");
    const events = agentEvents(run.ledger);
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_call", name: "write_file" }));
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_result", diffPaths: ["a.txt"] }));
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_call", name: "run_shell_command" }));
    expect(events).toContainEqual(
      expect.objectContaining({ type: "usage", inputTokens: expect.any(Number) }),
    );
    expect(server?.allText()).toContain("PATH=");
    expectNoCanary(run);
  });

  it("attempt 2 resumes the session with the feedback → ready", async () => {
    const run = await runAgent(
      "gemini",
      {
        steps: [],
        turns: [
          [{ tool: "write_file", input: { file_path: "a.txt", content: "bad\n" } }],
          [{ tool: "write_file", input: { file_path: "a.txt", content: "ok\n" } }],
        ],
        turnMarker: "did not pass the project",
        final: "done",
      },
      geminiEnv,
      "start\n",
      GEMINI_MODEL,
    );
    expect(run.doc.status, run.stderr).toBe("ready");
    expect(run.doc.attempts).toBe(2);
    const req = resumedRequest();
    expect(req).toContain("not ok: a.txt");
    expect(req).toContain("functionCall");
    expectNoCanary(run);
  });
});

/** opencode gets the fake server as an OpenAI-compatible provider through its config variable. */
function opencodeEnv(url: string): Record<string, string> {
  const config = {
    provider: {
      fake: {
        npm: "@ai-sdk/openai-compatible",
        name: "Fake",
        options: { baseURL: `${url}/v1`, apiKey: "fake" },
        models: { "fake-model": { name: "Fake" } },
      },
    },
  };
  return { OPENCODE_CONFIG_CONTENT: JSON.stringify(config), OPENCODE_DISABLE_AUTOUPDATE: "1" };
}

const OPENCODE_MODEL = ["--model", "fake/fake-model"];

describe("opencode", () => {
  it("write edits the file, bash dumps env; ready, ledger shows the change", async () => {
    const run = await runAgent(
      "opencode",
      {
        steps: [
          { tool: "write", input: { filePath: "a.txt", content: "ok\n" } },
          { tool: "bash", input: { command: "env", description: "dump env" } },
        ],
        final: "done",
      },
      opencodeEnv,
      "bad\n",
      OPENCODE_MODEL,
    );
    expect(run.doc.status, run.stderr).toBe("ready");
    const events = agentEvents(run.ledger);
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_call", name: "write" }));
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_result", diffPaths: ["a.txt"] }));
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_call", name: "bash" }));
    expect(events).toContainEqual(
      expect.objectContaining({ type: "usage", inputTokens: expect.any(Number) }),
    );
    expect(server?.allText()).toContain("PATH=");
    expectNoCanary(run);
  });

  it("attempt 2 resumes the session with the feedback → ready", async () => {
    const run = await runAgent(
      "opencode",
      {
        steps: [],
        turns: [
          [{ tool: "write", input: { filePath: "a.txt", content: "bad\n" } }],
          [{ tool: "write", input: { filePath: "a.txt", content: "ok\n" } }],
        ],
        turnMarker: "did not pass the project",
        final: "done",
      },
      opencodeEnv,
      "start\n",
      OPENCODE_MODEL,
    );
    expect(run.doc.status, run.stderr).toBe("ready");
    expect(run.doc.attempts).toBe(2);
    const req = resumedRequest();
    expect(req).toContain("not ok: a.txt");
    expect(req).toContain('"tool_call_id":"call_1"');
    expectNoCanary(run);
  });
});

describe("retries resume the CLI's own session with the gate feedback", () => {
  it("claude: attempt 1 writes the wrong text, attempt 2 (--resume, feedback) fixes it → ready", async () => {
    const run = await runAgent(
      "claude",
      {
        steps: [],
        turns: [
          [{ tool: "Write", input: { file_path: "a.txt", content: "bad\n" } }],
          [{ tool: "Write", input: { file_path: "a.txt", content: "ok\n" } }],
        ],
        turnMarker: "did not pass the project",
        final: "done",
      },
      CLAUDE_ENV,
      "start\n",
    );
    expect(run.doc.status, run.stderr).toBe("ready");
    expect(run.doc.attempts).toBe(2);
    const req = resumedRequest();
    expect(req).toContain("not ok: a.txt");
    // The first attempt's tool call is in the resumed conversation: the session was resumed, not restarted.
    expect(req).toContain("toolu_call_1");
    expectNoCanary(run);
  });

  it("codex: attempt 2 resumes the thread with the feedback → ready", async () => {
    const run = await runAgent(
      "codex",
      {
        steps: [],
        turns: [
          [{ tool: "exec_command", input: { cmd: patch("start", "bad") } }],
          [{ tool: "exec_command", input: { cmd: patch("bad", "ok") } }],
        ],
        turnMarker: "did not pass the project",
        final: "done",
      },
      codexEnv,
      "start\n",
    );
    expect(run.doc.status, run.stderr).toBe("ready");
    expect(run.doc.attempts).toBe(2);
    const req = resumedRequest();
    expect(req).toContain("not ok: a.txt");
    expect(req).toContain('"call_id":"call_1"');
    expectNoCanary(run);
  });

  it("a scenario without the fix ends not_ready (the suite can fail)", async () => {
    const run = await runAgent("claude", { steps: [], final: "I changed nothing" }, CLAUDE_ENV);
    expect(run.doc.status).toBe("not_ready");
  });
});

describe("omk doctor with the real CLIs installed but not logged in", () => {
  it("reports installed with the pinned version, and never authenticated", async () => {
    p = await project({ "a.txt": "ok\n" });
    const home = privateHome("doctor");
    const r = await p.omk(["doctor", "--json"], {
      env: {
        HOME: home,
        CLAUDE_BIN: cliPath("claude"),
        CODEX_BIN: cliPath("codex"),
        GEMINI_BIN: cliPath("gemini"),
        OPENCODE_BIN: cliPath("opencode"),
      },
    });
    expect(r.code).toBe(0);
    const doc = r.json<{
      agents: Array<{
        name: string;
        installed: { value: boolean };
        version: { value: string };
        auth: { value: string };
      }>;
    }>();
    for (const [name, pkg] of [
      ["claude", "@anthropic-ai/claude-code"],
      ["codex", "@openai/codex"],
      ["gemini", "@google/gemini-cli"],
      ["opencode", "opencode-ai"],
    ] as const) {
      const a = doc.agents.find((x) => x.name === name);
      expect(a?.installed.value).toBe(true);
      expect(a?.version.value).toBe(PINNED[pkg]);
      expect(a?.auth.value).not.toBe("authenticated");
    }
  });
});

/**
 * Confined (`--sandbox required`, bubblewrap): each CLI sees only the worktree, the repository
 * read-only and its declared files under a private HOME, and still reaches the model server (its
 * sandbox needs say network host). Skipped where bubblewrap does not work.
 */
describe.skipIf(!sandboxWorks())("confined by omk's sandbox", () => {
  const write = {
    claude: { tool: "Write", input: { file_path: "a.txt", content: "ok\n" } },
    codex: { tool: "exec_command", input: { cmd: patch("bad", "ok") } },
    gemini: { tool: "write_file", input: { file_path: "a.txt", content: "ok\n" } },
    opencode: { tool: "write", input: { filePath: "a.txt", content: "ok\n" } },
  } as const;
  const envs = { claude: CLAUDE_ENV, codex: codexEnv, gemini: geminiEnv, opencode: opencodeEnv } as const;
  const extra = { claude: [], codex: [], gemini: GEMINI_MODEL, opencode: OPENCODE_MODEL } as const;
  for (const cli of ["claude", "codex", "gemini", "opencode"] as const) {
    it(`${cli}: the scripted edit reaches ready inside the sandbox`, async () => {
      const run = await runAgent(cli, { steps: [write[cli]], final: "done" }, envs[cli], "bad\n", [
        "--sandbox",
        "required",
        ...extra[cli],
      ]);
      expect(run.doc.status, run.stderr).toBe("ready");
      const confinement = run.ledger.find((l) => l.kind === "Confinement");
      expect(confinement?.data).toMatchObject({ mode: "bwrap", network: "host" });
      expectNoCanary(run);
    });
  }
});
