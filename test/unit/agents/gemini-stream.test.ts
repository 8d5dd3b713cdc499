import { describe, expect, it } from "vitest";
import { geminiApprovalMode, geminiArgv } from "../../../src/agents/gemini/contract.js";
import { GeminiStreamParser } from "../../../src/agents/gemini/stream.js";

const WT = "/repo/.omk/worktrees/r1";

describe("Gemini CLI stream-json → normalized events", () => {
  it("maps init, the assistant's messages (not the echoed prompt), tool use and results, and the result", () => {
    const p = new GeminiStreamParser(WT);
    const events = [
      { type: "init", session_id: "g-1", model: "gemini-2.5-pro" },
      { type: "message", role: "user", content: "the task" },
      {
        type: "tool_use",
        tool_name: "write_file",
        tool_id: "w1",
        parameters: { file_path: `${WT}/a.txt`, content: "x" },
      },
      { type: "tool_result", tool_id: "w1", status: "success" },
      {
        type: "tool_use",
        tool_name: "run_shell_command",
        tool_id: "s1",
        parameters: { command: "npm test" },
      },
      { type: "tool_result", tool_id: "s1", status: "error", error: { message: "exit 1" } },
      { type: "message", role: "assistant", content: "done", delta: true },
      { type: "result", status: "success", stats: { input_tokens: 360, output_tokens: 90 } },
    ].flatMap((l) => p.line(JSON.stringify(l)));
    expect(events).toEqual([
      { type: "status", message: "gemini ready: model gemini-2.5-pro" },
      { type: "tool_call", id: "w1", name: "write_file", summary: `write_file ${WT}/a.txt` },
      { type: "tool_result", id: "w1", isError: false, summary: "success", diffPaths: ["a.txt"] },
      { type: "tool_call", id: "s1", name: "run_shell_command", summary: "run_shell_command npm test" },
      { type: "tool_result", id: "s1", isError: true, summary: "exit 1", diffPaths: [] },
      { type: "text", text: "done" },
      { type: "usage", inputTokens: 360, outputTokens: 90, costUsd: null },
    ]);
    expect(p.sessionId).toBe("g-1");
    expect(p.outcome?.ok).toBe(true);
  });

  it("an error result fails the turn", () => {
    const p = new GeminiStreamParser(WT);
    p.line(JSON.stringify({ type: "result", status: "error", error: { message: "quota" } }));
    expect(p.outcome).toEqual({ ok: false, detail: "gemini ended with error: quota", steps: null });
  });
});

describe("gemini argv and execution mapping", () => {
  it("auto → yolo, never → plan, ask → default (tools needing approval are not offered headless)", () => {
    expect(geminiApprovalMode("auto")).toBe("yolo");
    expect(geminiApprovalMode("never")).toBe("plan");
    expect(geminiApprovalMode("ask")).toBe("default");
  });

  it("leaves the prompt out of argv (stdin), trusts the worktree, resumes by session id", () => {
    const argv = geminiArgv("/bin/gemini", {
      resume: "g-1",
      execution: "never",
      extra: [],
    });
    expect(argv.some((a) => a === "-p" || a.startsWith("--prompt"))).toBe(false);
    expect(argv).toContain("--skip-trust");
    expect(argv).toEqual(expect.arrayContaining(["--resume", "g-1", "--approval-mode", "plan"]));
    expect(argv).not.toContain("yolo");
  });
});
