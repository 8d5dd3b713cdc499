import { describe, expect, it } from "vitest";
import { codexAuth } from "../../../src/agents/codex/adapter.js";
import { codexArgv, codexSandbox } from "../../../src/agents/codex/contract.js";
import { CodexStreamParser } from "../../../src/agents/codex/stream.js";

const WT = "/repo/.omk/worktrees/r1";

function feed(lines: unknown[]) {
  const p = new CodexStreamParser(WT);
  return { p, events: lines.flatMap((l) => p.line(JSON.stringify(l))) };
}

describe("codex exec --json → normalized events", () => {
  it("maps the thread, file changes, commands, messages and usage", () => {
    const { p, events } = feed([
      { type: "thread.started", thread_id: "th-1" },
      { type: "turn.started" },
      {
        type: "item.started",
        item: {
          id: "i1",
          type: "file_change",
          changes: [{ path: `${WT}/a.txt`, kind: "update" }],
          status: "in_progress",
        },
      },
      {
        type: "item.completed",
        item: {
          id: "i1",
          type: "file_change",
          changes: [{ path: `${WT}/a.txt`, kind: "update" }],
          status: "completed",
        },
      },
      {
        type: "item.completed",
        item: {
          id: "i2",
          type: "command_execution",
          command: "npm test",
          aggregated_output: "fail\n",
          exit_code: 1,
          status: "failed",
        },
      },
      { type: "item.completed", item: { id: "i3", type: "agent_message", text: "done" } },
      { type: "turn.completed", usage: { input_tokens: 360, cached_input_tokens: 0, output_tokens: 90 } },
    ]);
    expect(events).toEqual([
      { type: "step", n: 1 },
      { type: "tool_call", id: "i1", name: "file_change", summary: `update ${WT}/a.txt` },
      { type: "tool_result", id: "i1", isError: false, summary: "completed", diffPaths: ["a.txt"] },
      { type: "tool_call", id: "i2", name: "command_execution", summary: "npm test" },
      { type: "tool_result", id: "i2", isError: true, summary: "exit 1: fail", diffPaths: [] },
      { type: "text", text: "done" },
      { type: "usage", inputTokens: 360, outputTokens: 90, costUsd: null },
    ]);
    expect(p.sessionId).toBe("th-1");
    expect(p.outcome?.ok).toBe(true);
  });

  it("a failed patch names no changed file; turn.failed fails the turn", () => {
    const { p, events } = feed([
      {
        type: "item.completed",
        item: { id: "i1", type: "file_change", changes: [{ path: "a.txt" }], status: "failed" },
      },
      { type: "turn.failed", error: { message: "quota exceeded" } },
    ]);
    expect(events).toContainEqual({
      type: "tool_result",
      id: "i1",
      isError: true,
      summary: "failed",
      diffPaths: [],
    });
    expect(p.outcome).toEqual({ ok: false, detail: "codex turn failed: quota exceeded", steps: 0 });
  });
});

describe("codex argv and execution mapping", () => {
  it("auto writes the workspace; never and ask (it cannot ask headless) are read-only", () => {
    expect(codexSandbox("auto")).toBe("workspace-write");
    expect(codexSandbox("never")).toBe("read-only");
    expect(codexSandbox("ask")).toBe("read-only");
  });

  it("runs in the worktree reading the prompt from stdin (-), and resumes a thread with exec resume", () => {
    const first = codexArgv("/bin/codex", {
      worktree: WT,
      resume: null,
      execution: "auto",
      extra: [],
    });
    expect(first.slice(0, 4)).toEqual(["/bin/codex", "exec", "-C", WT]);
    expect(first).toContain('sandbox_mode="workspace-write"');
    expect(first.slice(-2)).toEqual(["--", "-"]);
    const again = codexArgv("/bin/codex", {
      worktree: WT,
      resume: "th-1",
      execution: "never",
      extra: [],
    });
    expect(again.slice(0, 3)).toEqual(["/bin/codex", "exec", "resume"]);
    expect(again).toContain('sandbox_mode="read-only"');
    expect(again.slice(-3)).toEqual(["--", "th-1", "-"]);
  });

  it("reads `codex login status`", () => {
    expect(codexAuth("Not logged in", 1).value).toBe("missing");
    expect(codexAuth("Logged in using an API key", 0).value).toBe("ok");
    expect(codexAuth("", 0).value).toBe("unknown");
  });
});
