import { z } from "zod";
import { worktreeRelative } from "../claude/stream.js";
import { jsonObject, type StreamParser, truncate } from "../jsonl/session.js";
import type { AgentEvent } from "../types.js";

/**
 * `codex exec --json` lines → omk's normalized events. Untrusted: validated loosely (unknown fields
 * and item types are tolerated, wrong types are not).
 */

const Item = z.looseObject({
  id: z.string(),
  type: z.string(),
  text: z.string().optional(),
  message: z.string().optional(),
  command: z.string().optional(),
  aggregated_output: z.string().optional(),
  exit_code: z.number().nullable().optional(),
  status: z.string().optional(),
  changes: z.array(z.looseObject({ path: z.string(), kind: z.string().optional() })).optional(),
  server: z.string().optional(),
  tool: z.string().optional(),
  query: z.string().optional(),
});

const Line = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("thread.started"), thread_id: z.string() }),
  z.looseObject({ type: z.literal("turn.started") }),
  z.looseObject({
    type: z.literal("turn.completed"),
    usage: z
      .looseObject({ input_tokens: z.number().optional(), output_tokens: z.number().optional() })
      .optional(),
  }),
  z.looseObject({
    type: z.literal("turn.failed"),
    error: z.looseObject({ message: z.string().optional() }).optional(),
  }),
  z.looseObject({ type: z.literal("error"), message: z.string().optional() }),
  z.looseObject({ type: z.enum(["item.started", "item.updated", "item.completed"]), item: Item }),
]);

type ItemT = z.infer<typeof Item>;

function callName(item: ItemT): string {
  return item.type === "mcp_tool_call"
    ? truncate(`mcp ${item.server ?? "?"}/${item.tool ?? "?"}`, 80)
    : item.type;
}

function callSummary(item: ItemT): string {
  if (item.type === "command_execution") return truncate(item.command ?? "");
  if (item.type === "file_change") {
    return truncate((item.changes ?? []).map((c) => `${c.kind ?? "change"} ${c.path}`).join(", "));
  }
  if (item.type === "web_search") return truncate(item.query ?? "");
  return callName(item);
}

const TOOL_ITEMS = new Set(["command_execution", "file_change", "mcp_tool_call", "web_search"]);

export class CodexStreamParser implements StreamParser {
  sessionId: string | null = null;
  outcome: StreamParser["outcome"] = null;
  readonly version = null;
  private turns = 0;
  private readonly started = new Set<string>();

  constructor(private readonly worktree: string) {}

  line(raw: string): AgentEvent[] {
    const obj = jsonObject(raw);
    if (obj === null) return raw.trim() === "" ? [] : [{ type: "text", text: raw }];
    const parsed = Line.safeParse(obj);
    if (!parsed.success) {
      const type = typeof obj["type"] === "string" ? obj["type"] : "?";
      return [{ type: "status", message: truncate(`codex event ${type} not recognized`) }];
    }
    const ev = parsed.data;
    switch (ev.type) {
      case "thread.started":
        this.sessionId = ev.thread_id;
        return [];
      case "turn.started":
        this.turns++;
        return [{ type: "step", n: this.turns }];
      case "turn.completed":
        this.outcome = { ok: true, detail: "codex finished its turn", steps: this.turns };
        return [
          {
            type: "usage",
            inputTokens: ev.usage?.input_tokens ?? null,
            outputTokens: ev.usage?.output_tokens ?? null,
            // codex reports tokens, never a price.
            costUsd: null,
          },
        ];
      case "turn.failed":
        this.outcome = {
          ok: false,
          detail: truncate(`codex turn failed: ${ev.error?.message ?? "no reason given"}`),
          steps: this.turns,
        };
        return [];
      case "error":
        return [{ type: "status", message: truncate(`codex: ${ev.message ?? "error"}`) }];
      default:
        return this.item(ev.type, ev.item);
    }
  }

  private item(phase: "item.started" | "item.updated" | "item.completed", item: ItemT): AgentEvent[] {
    if (TOOL_ITEMS.has(item.type)) {
      const out: AgentEvent[] = [];
      if (!this.started.has(item.id)) {
        this.started.add(item.id);
        out.push({ type: "tool_call", id: item.id, name: callName(item), summary: callSummary(item) });
      }
      if (phase === "item.completed") out.push(this.result(item));
      return out;
    }
    if (phase !== "item.completed") return [];
    if (item.type === "agent_message" && item.text !== undefined) return [{ type: "text", text: item.text }];
    if (item.type === "reasoning" && item.text !== undefined) return [{ type: "thinking", text: item.text }];
    if (item.type === "error")
      return [{ type: "status", message: truncate(`codex: ${item.message ?? "error"}`) }];
    return [];
  }

  private result(item: ItemT): AgentEvent {
    const failed =
      item.status === "failed" ||
      item.status === "declined" ||
      (item.exit_code !== undefined && item.exit_code !== null && item.exit_code !== 0);
    const diffPaths =
      item.type === "file_change" && !failed
        ? (item.changes ?? []).map((c) => worktreeRelative(c.path, this.worktree))
        : [];
    const summary =
      item.type === "command_execution"
        ? `exit ${String(item.exit_code ?? "?")}: ${(item.aggregated_output ?? "").trim()}`
        : `${item.status ?? "completed"}`;
    return { type: "tool_result", id: item.id, isError: failed, summary: truncate(summary), diffPaths };
  }
}
