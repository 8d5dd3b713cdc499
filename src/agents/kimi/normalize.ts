import type { AgentEvent } from "../types.js";
import type {
  WireApprovalRequest,
  WireContentPart,
  WireDisplayBlock,
  WireStatusUpdate,
  WireToolCall,
  WireToolResult,
} from "./wire-types.js";

/** Pure translation of validated kimi wire events into omk's AgentEvents. */

const SUMMARY_MAX = 200;

export function truncate(text: string, max = SUMMARY_MAX): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** What the normalizer remembers across events of one session (tool calls stream in pieces). */
export interface NormalizerState {
  toolCalls: Map<string, { name: string; args: string }>;
  lastToolCallId: string | null;
  maxStep: number;
}

export function createNormalizerState(): NormalizerState {
  return { toolCalls: new Map(), lastToolCallId: null, maxStep: 0 };
}

function parseArgs(args: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(args);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null; // arguments may still be streaming in (ToolCallPart)
  }
}

const SUMMARY_KEYS = ["path", "file_path", "command", "pattern", "url", "query"] as const;

export function summarizeToolCall(name: string, args: string): string {
  const parsed = parseArgs(args);
  for (const key of SUMMARY_KEYS) {
    const v = parsed?.[key];
    if (typeof v === "string" && v !== "") return truncate(`${name} ${v}`);
  }
  return name;
}

function outputText(output: WireToolResult["return_value"]["output"]): string {
  if (typeof output === "string") return output;
  return output
    .map((p) => (p.type === "text" ? p.text : ""))
    .filter((t) => t !== "")
    .join("\n");
}

function diffPaths(display: readonly WireDisplayBlock[] | undefined): string[] {
  const paths: string[] = [];
  for (const block of display ?? []) {
    if (block.type === "diff" && "path" in block && typeof block.path === "string") paths.push(block.path);
  }
  return paths;
}

/**
 * Paths an approval touches: diff blocks of the request, plus `path` / `file_path` of the matching
 * tool call's arguments. Taken for every tool, not only known write tools: the policy layer would
 * rather see one path too many than miss one.
 */
export function approvalPaths(req: WireApprovalRequest, state: NormalizerState): string[] {
  const paths = diffPaths(req.display);
  const call = state.toolCalls.get(req.tool_call_id);
  const args = call === undefined ? null : parseArgs(call.args);
  for (const key of ["path", "file_path"] as const) {
    const v = args?.[key];
    if (typeof v === "string" && v !== "") paths.push(v);
  }
  return [...new Set(paths)];
}

function contentPart(p: WireContentPart): AgentEvent[] {
  if (p.type === "text") return p.text === "" ? [] : [{ type: "text", text: p.text }];
  if (p.type === "think") return p.think === "" ? [] : [{ type: "thinking", text: p.think }];
  return [{ type: "status", message: `agent sent a ${p.type} content part (not recorded)` }];
}

function statusUpdate(p: WireStatusUpdate): AgentEvent[] {
  const u = p.token_usage;
  if (u === null || u === undefined) return [];
  const inputTokens = u.input_other + u.input_cache_read + u.input_cache_creation;
  return [{ type: "usage", inputTokens, outputTokens: u.output, costUsd: null }];
}

/** `payload` must already have passed the SDK's `parseEventPayload` for `type`. */
export function normalizeEvent(type: string, payload: unknown, state: NormalizerState): AgentEvent[] {
  switch (type) {
    case "ContentPart":
      return contentPart(payload as WireContentPart);
    case "StepBegin": {
      const n = (payload as { n: number }).n;
      state.maxStep = Math.max(state.maxStep, n);
      return [{ type: "step", n }];
    }
    case "ToolCall": {
      const p = payload as WireToolCall;
      const args = p.function.arguments ?? "";
      state.toolCalls.set(p.id, { name: p.function.name, args });
      state.lastToolCallId = p.id;
      return [
        {
          type: "tool_call",
          id: p.id,
          name: p.function.name,
          summary: summarizeToolCall(p.function.name, args),
        },
      ];
    }
    case "ToolCallPart": {
      const part = (payload as { arguments_part?: string | null }).arguments_part;
      const last = state.lastToolCallId === null ? undefined : state.toolCalls.get(state.lastToolCallId);
      if (last !== undefined && typeof part === "string") last.args += part;
      return [];
    }
    case "ToolResult": {
      const p = payload as WireToolResult;
      const rv = p.return_value;
      const summary = truncate(rv.message !== "" ? rv.message : outputText(rv.output));
      return [
        {
          type: "tool_result",
          id: p.tool_call_id,
          isError: rv.is_error,
          summary,
          diffPaths: diffPaths(rv.display),
        },
      ];
    }
    case "StatusUpdate":
      return statusUpdate(payload as WireStatusUpdate);
    case "StepInterrupted":
      return [{ type: "status", message: "agent step interrupted" }];
    case "CompactionBegin":
      return [{ type: "status", message: "agent context compaction started" }];
    case "CompactionEnd":
      return [{ type: "status", message: "agent context compaction finished" }];
    case "SubagentEvent": {
      const p = payload as { parent_tool_call_id: string; event: { type: string; payload?: unknown } };
      if (p.event.type !== "ToolCall") return [];
      const call = p.event.payload as WireToolCall;
      const summary = summarizeToolCall(call.function.name, call.function.arguments ?? "");
      return [{ type: "status", message: `subagent of ${p.parent_tool_call_id}: ${summary}` }];
    }
    case "HookResolved": {
      const p = payload as { event: string; target: string; action: string; reason: string };
      if (p.action !== "block") return [];
      return [{ type: "status", message: truncate(`hook ${p.event} blocked ${p.target}: ${p.reason}`) }];
    }
    default:
      // TurnBegin/TurnEnd bracket the prompt call itself; the rest carries nothing omk records.
      return [];
  }
}
