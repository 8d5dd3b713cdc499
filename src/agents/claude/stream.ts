import { isAbsolute, relative, sep } from "node:path";
import { z } from "zod";
import { jsonObject, type StreamParser, truncate } from "../jsonl/session.js";
import type { AgentEvent } from "../types.js";

/**
 * Claude Code's `--output-format stream-json --verbose` lines → omk's normalized events. Every line
 * is untrusted: validated loosely (unknown fields and event types are tolerated, wrong types are not).
 */

const Block = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  thinking: z.string().optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  input: z.record(z.string(), z.unknown()).optional(),
  tool_use_id: z.string().optional(),
  is_error: z.boolean().optional(),
  content: z.unknown().optional(),
});

const Message = z.looseObject({ content: z.union([z.string(), z.array(Block)]) });

const Line = z.discriminatedUnion("type", [
  z.looseObject({
    type: z.literal("system"),
    subtype: z.string().optional(),
    session_id: z.string().optional(),
    model: z.string().optional(),
    claude_code_version: z.string().optional(),
    permissionMode: z.string().optional(),
  }),
  z.looseObject({ type: z.literal("assistant"), message: Message, session_id: z.string().optional() }),
  z.looseObject({ type: z.literal("user"), message: Message }),
  z.looseObject({
    type: z.literal("result"),
    subtype: z.string(),
    is_error: z.boolean().optional(),
    result: z.string().optional(),
    session_id: z.string().optional(),
    num_turns: z.number().optional(),
    total_cost_usd: z.number().nullable().optional(),
    usage: z
      .looseObject({
        input_tokens: z.number().optional(),
        output_tokens: z.number().optional(),
        cache_creation_input_tokens: z.number().optional(),
        cache_read_input_tokens: z.number().optional(),
      })
      .optional(),
    permission_denials: z.array(z.looseObject({ tool_name: z.string().optional() })).optional(),
  }),
]);

/** Tools that change files, and the input field naming the file. */
const FILE_TOOLS: Record<string, string> = {
  Write: "file_path",
  Edit: "file_path",
  MultiEdit: "file_path",
  NotebookEdit: "notebook_path",
};

/** The argument worth showing for a tool call (a path, a command, a pattern). */
function toolSummary(name: string, input: Record<string, unknown>): string {
  for (const key of ["file_path", "notebook_path", "command", "pattern", "path", "url", "description"]) {
    const v = input[key];
    if (typeof v === "string" && v !== "") return truncate(`${name} ${v}`);
  }
  return name;
}

function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((c) =>
        typeof c === "object" && c !== null && typeof (c as { text?: unknown }).text === "string"
          ? (c as { text: string }).text
          : "",
      )
      .join("");
  }
  return "";
}

/** A path the agent named, relative to the worktree when it is inside it; as given otherwise. */
export function worktreeRelative(path: string, worktree: string): string {
  if (isAbsolute(path) && path.startsWith(`${worktree}${sep}`)) return relative(worktree, path);
  return path;
}

export class ClaudeStreamParser implements StreamParser {
  sessionId: string | null = null;
  outcome: StreamParser["outcome"] = null;
  version: string | null = null;
  private readonly calls = new Map<string, { name: string; input: Record<string, unknown> }>();

  constructor(private readonly worktree: string) {}

  line(raw: string): AgentEvent[] {
    const obj = jsonObject(raw);
    if (obj === null) return raw.trim() === "" ? [] : [{ type: "text", text: raw }];
    const parsed = Line.safeParse(obj);
    if (!parsed.success) {
      // Event types this version does not know (stream_event, hooks, …) are not an error.
      const type = typeof obj["type"] === "string" ? obj["type"] : "?";
      return [{ type: "status", message: truncate(`claude event ${type} not recognized`) }];
    }
    const ev = parsed.data;
    switch (ev.type) {
      case "system": {
        if (ev.session_id !== undefined) this.sessionId = ev.session_id;
        if (ev.subtype !== "init") return [];
        if (ev.claude_code_version !== undefined) this.version = truncate(ev.claude_code_version, 80);
        return [
          {
            type: "status",
            message: truncate(
              `claude ready: model ${ev.model ?? "?"}, permission mode ${ev.permissionMode ?? "?"}`,
            ),
          },
        ];
      }
      case "assistant":
        return this.assistant(ev.message.content);
      case "user":
        return this.toolResults(ev.message.content);
      case "result":
        return this.result(ev);
    }
  }

  private assistant(content: string | z.infer<typeof Block>[]): AgentEvent[] {
    if (typeof content === "string") return [{ type: "text", text: content }];
    const out: AgentEvent[] = [];
    for (const b of content) {
      if (b.type === "text" && b.text !== undefined) out.push({ type: "text", text: b.text });
      else if (b.type === "thinking" && b.thinking !== undefined)
        out.push({ type: "thinking", text: b.thinking });
      else if (b.type === "tool_use" && b.id !== undefined && b.name !== undefined) {
        const input = b.input ?? {};
        this.calls.set(b.id, { name: b.name, input });
        out.push({
          type: "tool_call",
          id: b.id,
          name: truncate(b.name, 80),
          summary: toolSummary(b.name, input),
        });
      }
    }
    return out;
  }

  private toolResults(content: string | z.infer<typeof Block>[]): AgentEvent[] {
    if (typeof content === "string") return [];
    const out: AgentEvent[] = [];
    for (const b of content) {
      if (b.type !== "tool_result" || b.tool_use_id === undefined) continue;
      const call = this.calls.get(b.tool_use_id);
      const isError = b.is_error === true;
      const field = call ? FILE_TOOLS[call.name] : undefined;
      const path = field !== undefined ? call?.input[field] : undefined;
      const diffPaths = !isError && typeof path === "string" ? [worktreeRelative(path, this.worktree)] : [];
      out.push({
        type: "tool_result",
        id: b.tool_use_id,
        isError,
        summary: truncate(resultText(b.content).trim()),
        diffPaths,
      });
    }
    return out;
  }

  private result(ev: Extract<z.infer<typeof Line>, { type: "result" }>): AgentEvent[] {
    if (ev.session_id !== undefined) this.sessionId = ev.session_id;
    const ok = ev.subtype === "success" && ev.is_error !== true;
    const text = truncate((ev.result ?? "").trim());
    this.outcome = {
      ok,
      detail: ok
        ? `claude finished (${ev.subtype})`
        : `claude ended with ${ev.subtype}${text === "" ? "" : `: ${text}`}`,
      steps: ev.num_turns ?? null,
    };
    const u = ev.usage;
    const input =
      u?.input_tokens === undefined
        ? null
        : u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
    const out: AgentEvent[] = [
      {
        type: "usage",
        inputTokens: input,
        outputTokens: u?.output_tokens ?? null,
        costUsd: ev.total_cost_usd ?? null,
      },
    ];
    for (const d of ev.permission_denials ?? []) {
      out.push({
        type: "status",
        message: truncate(`claude's permission mode denied ${d.tool_name ?? "a tool"}`),
      });
    }
    return out;
  }
}
