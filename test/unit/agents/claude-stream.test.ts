import { describe, expect, it } from "vitest";
import { claudeAuth } from "../../../src/agents/claude/adapter.js";
import { claudeArgv, claudePermissionArgs } from "../../../src/agents/claude/contract.js";
import { ClaudeStreamParser } from "../../../src/agents/claude/stream.js";

const WT = "/repo/.omk/worktrees/r1";

function feed(lines: unknown[]) {
  const p = new ClaudeStreamParser(WT);
  const events = lines.flatMap((l) => p.line(typeof l === "string" ? l : JSON.stringify(l)));
  return { p, events };
}

describe("Claude Code stream-json → normalized events", () => {
  it("maps init, tool use, its result (a file change relative to the worktree), text and the result", () => {
    const { p, events } = feed([
      { type: "system", subtype: "init", session_id: "s-1", model: "m", claude_code_version: "2.1.332" },
      {
        type: "assistant",
        message: {
          content: [
            { type: "thinking", thinking: "hmm" },
            {
              type: "tool_use",
              id: "t1",
              name: "Write",
              input: { file_path: `${WT}/src/a.ts`, content: "x" },
            },
          ],
        },
      },
      {
        type: "user",
        message: { content: [{ type: "tool_result", tool_use_id: "t1", content: "File created" }] },
      },
      { type: "assistant", message: { content: [{ type: "text", text: "done" }] } },
      {
        type: "result",
        subtype: "success",
        is_error: false,
        result: "done",
        num_turns: 2,
        total_cost_usd: 0.0021,
        usage: { input_tokens: 200, cache_read_input_tokens: 40, output_tokens: 60 },
      },
    ]);
    expect(events).toEqual([
      { type: "status", message: "claude ready: model m, permission mode ?" },
      { type: "thinking", text: "hmm" },
      { type: "tool_call", id: "t1", name: "Write", summary: `Write ${WT}/src/a.ts` },
      { type: "tool_result", id: "t1", isError: false, summary: "File created", diffPaths: ["src/a.ts"] },
      { type: "text", text: "done" },
      { type: "usage", inputTokens: 240, outputTokens: 60, costUsd: 0.0021 },
    ]);
    expect(p.sessionId).toBe("s-1");
    expect(p.version).toBe("2.1.332");
    expect(p.outcome).toEqual({ ok: true, detail: "claude finished (success)", steps: 2 });
  });

  it("a failed edit names no changed file; an error result fails the turn; unknown usage stays null", () => {
    const { p, events } = feed([
      {
        type: "assistant",
        message: { content: [{ type: "tool_use", id: "t", name: "Edit", input: { file_path: "a" } }] },
      },
      {
        type: "user",
        message: {
          content: [
            {
              type: "tool_result",
              tool_use_id: "t",
              is_error: true,
              content: [{ type: "text", text: "no" }],
            },
          ],
        },
      },
      { type: "result", subtype: "error_max_turns", is_error: true },
    ]);
    expect(events).toContainEqual({
      type: "tool_result",
      id: "t",
      isError: true,
      summary: "no",
      diffPaths: [],
    });
    expect(events).toContainEqual({ type: "usage", inputTokens: null, outputTokens: null, costUsd: null });
    expect(p.outcome?.ok).toBe(false);
    expect(p.outcome?.detail).toContain("error_max_turns");
  });

  it("keeps non-JSON lines as text and tolerates unknown or malformed events", () => {
    const { events, p } = feed(["plain words", { type: "stream_event" }, { type: "result", subtype: 7 }, ""]);
    expect(events[0]).toEqual({ type: "text", text: "plain words" });
    expect(events.slice(1).every((e) => e.type === "status")).toBe(true);
    expect(p.outcome).toBeNull();
  });
});

describe("claude argv and execution mapping", () => {
  it("maps auto to acceptEdits with Bash allowed, never to plan without writers, ask to denied prompts", () => {
    expect(claudePermissionArgs("auto")).toEqual([
      "--permission-mode",
      "acceptEdits",
      "--allowedTools",
      "Bash",
    ]);
    expect(claudePermissionArgs("never")).toEqual([
      "--permission-mode",
      "plan",
      "--disallowedTools",
      "Bash,Edit,Write,MultiEdit,NotebookEdit",
    ]);
    expect(claudePermissionArgs("ask")).toContain("none");
  });

  it("leaves the prompt out of argv (it goes on stdin) and resumes by session id", () => {
    const argv = claudeArgv("/bin/claude", {
      resume: "s-1",
      execution: "auto",
      extra: ["--x-extra"],
    });
    expect(argv.slice(0, 5)).toEqual(["/bin/claude", "-p", "--output-format", "stream-json", "--verbose"]);
    expect(argv.at(-1)).toBe("--x-extra");
    expect(argv).toContain("--resume");
    expect(argv).not.toContain("bypassPermissions");
  });

  it("reads `claude auth status`: loggedIn false is unauthenticated, no JSON is unknown, never ok by exit code", () => {
    expect(claudeAuth('{"loggedIn": false, "authMethod": "none"}', 1).value).toBe("missing");
    expect(claudeAuth('{"loggedIn": true, "authMethod": "oauth"}', 0).value).toBe("ok");
    expect(claudeAuth("Logged in", 0).value).toBe("unknown");
  });
});
