import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { project } from "../helpers/project.js";
import { cliPath, PINNED, sandboxWorks } from "./clis.js";
import {
  agentEvents,
  CLAUDE_ENV,
  cleanupE2e,
  codexEnv,
  e2e,
  expectNoCanary,
  GEMINI_MODEL,
  geminiEnv,
  OPENCODE_MODEL,
  opencodeEnv,
  patch,
  privateHome,
  resumedRequest,
  runAgent,
} from "./harness.js";

/**
 * The real Claude Code, Codex, Gemini CLI and opencode binaries, driven by the built omk against the fake model server:
 * the scripted edit makes the failing gate pass (→ ready), and none of the canaries planted in omk's
 * environment reaches the model server, the CLI's own environment (dumped by a scripted shell call,
 * whose output travels back to the server), omk's files or its output.
 */

afterEach(cleanupE2e);

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
    expect(e2e.server?.allText()).toContain("PATH=");
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
      codexEnv,
    );
    expect(run.doc.status, run.stderr).toBe("ready");
    const events = agentEvents(run.ledger);
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_result", diffPaths: ["a.txt"] }));
    expect(events).toContainEqual(expect.objectContaining({ type: "tool_call", name: "command_execution" }));
    expect(events).toContainEqual(
      expect.objectContaining({ type: "usage", inputTokens: expect.any(Number) }),
    );
    expect(e2e.server?.allText()).toContain("PATH=");
    expectNoCanary(run);
  });
});

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
    expect(e2e.server?.allText()).toContain("PATH=");
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
    expect(e2e.server?.allText()).toContain("PATH=");
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
    const p = await project({ "a.txt": "ok\n" });
    e2e.p = p;
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

/** Per CLI: its tool call that writes "ok" to a.txt, its environment for the fake server, its extra flags. */
const write = {
  claude: { tool: "Write", input: { file_path: "a.txt", content: "ok\n" } },
  codex: { tool: "exec_command", input: { cmd: patch("bad", "ok") } },
  gemini: { tool: "write_file", input: { file_path: "a.txt", content: "ok\n" } },
  opencode: { tool: "write", input: { filePath: "a.txt", content: "ok\n" } },
} as const;
const envs = { claude: CLAUDE_ENV, codex: codexEnv, gemini: geminiEnv, opencode: opencodeEnv } as const;
const extra = { claude: [], codex: [], gemini: GEMINI_MODEL, opencode: OPENCODE_MODEL } as const;

/**
 * Confined (`--sandbox required`, bubblewrap): each CLI sees only the worktree, the repository
 * read-only and its declared files under a private HOME, and still reaches the model server (its
 * sandbox needs say network host). Skipped where bubblewrap does not work.
 */
describe.skipIf(!sandboxWorks())("confined by omk's sandbox", () => {
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

/**
 * A task longer than one argument may be (the kernel caps one at 128 KiB): from --task-file, on each
 * CLI's stdin, it reaches the model whole — its first and last words and its length.
 */
describe("a 200 KiB task from --task-file", () => {
  for (const cli of ["claude", "codex", "gemini", "opencode"] as const) {
    it(`${cli}: reaches the model server whole`, async () => {
      const dir = privateHome(`${cli}-task`);
      const file = join(dir, "task.md");
      const filler = "Keep every existing test passing while you work. ".repeat(4200);
      writeFileSync(file, `TASK-BEGINS make a.txt say ok.\n${filler}\nTASK-ENDS-${cli}\n`);
      expect(statSync(file).size).toBeGreaterThan(200 * 1024);
      const run = await runAgent(
        cli,
        { steps: [write[cli]], final: "done" },
        envs[cli],
        "bad\n",
        extra[cli],
        ["--task-file", file],
      );
      expect(run.doc.status, run.stderr).toBe("ready");
      const sent = e2e.server?.allText() ?? "";
      expect(sent).toContain("TASK-BEGINS make a.txt say ok.");
      expect(sent).toContain(`TASK-ENDS-${cli}`);
      expect(sent.split("Keep every existing test passing while you work.").length).toBeGreaterThan(4200);
      expectNoCanary(run);
    });
  }
});
