import { parseEventPayload, parseRequestPayload } from "@moonshot-ai/kimi-agent-sdk/schema";
import { describe, expect, it } from "vitest";
import {
  approvalPaths,
  createNormalizerState,
  type NormalizerState,
  normalizeEvent,
  summarizeToolCall,
  truncate,
} from "../../../src/agents/kimi/normalize.js";
import type { WireApprovalRequest } from "../../../src/agents/kimi/wire-types.js";
import type { AgentEvent } from "../../../src/agents/types.js";

/** Runs a payload through the SDK's schema first, as the transport does. */
function norm(
  type: string,
  payload: unknown,
  state: NormalizerState = createNormalizerState(),
): AgentEvent[] {
  const parsed = parseEventPayload(type, payload);
  if (!parsed.ok) throw new Error(parsed.error);
  const v = parsed.value as { type: string; payload: unknown };
  return normalizeEvent(v.type, v.payload, state);
}

function approval(payload: Record<string, unknown>): WireApprovalRequest {
  const parsed = parseRequestPayload("ApprovalRequest", payload);
  if (!parsed.ok) throw new Error(parsed.error);
  return (parsed.value as { payload: WireApprovalRequest }).payload;
}

describe("kimi event normalization", () => {
  it("maps content parts to text and thinking, and skips empty ones", () => {
    expect(norm("ContentPart", { type: "text", text: "hi" })).toEqual([{ type: "text", text: "hi" }]);
    expect(norm("ContentPart", { type: "think", think: "hmm" })).toEqual([{ type: "thinking", text: "hmm" }]);
    expect(norm("ContentPart", { type: "text", text: "" })).toEqual([]);
    const image = norm("ContentPart", { type: "image_url", image_url: { url: "data:image/png;base64,AA" } });
    expect(image).toHaveLength(1);
    expect(image[0]?.type).toBe("status");
  });

  it("tracks steps and sums cached and uncached input tokens", () => {
    const state = createNormalizerState();
    expect(norm("StepBegin", { n: 3 }, state)).toEqual([{ type: "step", n: 3 }]);
    expect(state.maxStep).toBe(3);
    const usage = { input_other: 100, output: 7, input_cache_read: 20, input_cache_creation: 3 };
    expect(norm("StatusUpdate", { token_usage: usage, context_usage: 0.1 })).toEqual([
      { type: "usage", inputTokens: 123, outputTokens: 7, costUsd: null },
    ]);
    expect(norm("StatusUpdate", { context_usage: 0.2 })).toEqual([]);
  });

  it("summarizes tool calls by their main argument and assembles streamed arguments", () => {
    const state = createNormalizerState();
    const call = { type: "function", id: "t1", function: { name: "WriteFile", arguments: '{"pa' } };
    expect(norm("ToolCall", call, state)).toEqual([
      { type: "tool_call", id: "t1", name: "WriteFile", summary: "WriteFile" },
    ]);
    expect(norm("ToolCallPart", { arguments_part: 'th":"src/x.ts","content":"y"}' }, state)).toEqual([]);
    expect(state.toolCalls.get("t1")?.args).toBe('{"path":"src/x.ts","content":"y"}');
    expect(summarizeToolCall("Shell", '{"command":"npm test"}')).toBe("Shell npm test");
    expect(summarizeToolCall("Odd", "[1,2]")).toBe("Odd");
  });

  it("reports tool results with the paths of their diff blocks", () => {
    const result = {
      tool_call_id: "t1",
      return_value: {
        is_error: false,
        output: "",
        message: "",
        display: [
          { type: "diff", path: "src/a.ts", old_text: "", new_text: "x" },
          { type: "brief", text: "done" },
          { type: "custom", foo: 1 },
        ],
      },
    };
    expect(norm("ToolResult", result)).toEqual([
      { type: "tool_result", id: "t1", isError: false, summary: "", diffPaths: ["src/a.ts"] },
    ]);
    const withParts = {
      tool_call_id: "t2",
      return_value: { is_error: true, output: [{ type: "text", text: "boom" }], message: "", display: [] },
    };
    expect(norm("ToolResult", withParts)[0]).toMatchObject({ isError: true, summary: "boom" });
  });

  it("takes approval paths from diff blocks and from the tool call's path arguments, once each", () => {
    const state = createNormalizerState();
    norm(
      "ToolCall",
      { type: "function", id: "t9", function: { name: "StrReplaceFile", arguments: '{"path":"b.ts"}' } },
      state,
    );
    const req = approval({
      id: "r1",
      tool_call_id: "t9",
      sender: "StrReplaceFile",
      action: "edit file",
      description: "Edit b.ts",
      display: [
        { type: "diff", path: "a.ts", old_text: "", new_text: "" },
        { type: "diff", path: "b.ts", old_text: "", new_text: "" },
      ],
    });
    expect(approvalPaths(req, state)).toEqual(["a.ts", "b.ts"]);
    const unknownCall = approval({
      id: "r2",
      tool_call_id: "nope",
      sender: "Shell",
      action: "run",
      description: "ls",
    });
    expect(approvalPaths(unknownCall, state)).toEqual([]);
  });

  it("ignores turn brackets, notes interruptions and blocked hooks", () => {
    expect(norm("TurnBegin", { user_input: "x" })).toEqual([]);
    expect(norm("TurnEnd", {})).toEqual([]);
    expect(norm("StepInterrupted", {})[0]?.type).toBe("status");
    expect(norm("HookResolved", { event: "PreToolUse", target: "Shell", action: "allow" })).toEqual([]);
    expect(
      norm("HookResolved", { event: "PreToolUse", target: "Shell", action: "block", reason: "no" })[0],
    ).toEqual({
      type: "status",
      message: "hook PreToolUse blocked Shell: no",
    });
  });

  it("truncates long summaries with an ellipsis", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
    expect(summarizeToolCall("Shell", JSON.stringify({ command: "x".repeat(500) })).length).toBe(200);
  });
});
