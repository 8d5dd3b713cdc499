import { z } from "zod";
import { worktreeRelative } from "../claude/stream.js";
import { jsonObject, type StreamParser, truncate } from "../jsonl/session.js";
import type { AgentEvent } from "../types.js";

/** Gemini CLI `--output-format stream-json` lines → omk's normalized events (validated loosely). */

const Line = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("init"), session_id: z.string().optional(), model: z.string().optional() }),
  z.looseObject({ type: z.literal("message"), role: z.string(), content: z.string() }),
  z.looseObject({
    type: z.literal("tool_use"),
    tool_name: z.string(),
    tool_id: z.string(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
  z.looseObject({
    type: z.literal("tool_result"),
    tool_id: z.string(),
    status: z.string(),
    output: z.string().optional(),
    error: z.looseObject({ message: z.string().optional() }).optional(),
  }),
  z.looseObject({
    type: z.literal("error"),
    message: z.string().optional(),
    severity: z.string().optional(),
  }),
  z.looseObject({
    type: z.literal("result"),
    status: z.string(),
    error: z.looseObject({ message: z.string().optional() }).optional(),
    stats: z
      .looseObject({
        input_tokens: z.number().optional(),
        output_tokens: z.number().optional(),
        tool_calls: z.number().optional(),
      })
      .optional(),
  }),
]);

const FILE_TOOLS = new Set(["write_file", "replace", "edit"]);

function summary(name: string, params: Record<string, unknown>): string {
  for (const key of ["file_path", "absolute_path", "command", "pattern", "dir_path", "url"]) {
    const v = params[key];
    if (typeof v === "string" && v !== "") return truncate(`${name} ${v}`);
  }
  return name;
}

export class GeminiStreamParser implements StreamParser {
  sessionId: string | null = null;
  outcome: StreamParser["outcome"] = null;
  readonly version = null;
  private readonly calls = new Map<string, { name: string; params: Record<string, unknown> }>();

  constructor(private readonly worktree: string) {}

  line(raw: string): AgentEvent[] {
    const obj = jsonObject(raw);
    if (obj === null) return raw.trim() === "" ? [] : [{ type: "text", text: raw }];
    const parsed = Line.safeParse(obj);
    if (!parsed.success) {
      const type = typeof obj["type"] === "string" ? obj["type"] : "?";
      return [{ type: "status", message: truncate(`gemini event ${type} not recognized`) }];
    }
    const ev = parsed.data;
    switch (ev.type) {
      case "init":
        if (ev.session_id !== undefined) this.sessionId = ev.session_id;
        return [{ type: "status", message: truncate(`gemini ready: model ${ev.model ?? "?"}`) }];
      case "message":
        // The user's own prompt is echoed back; it is not agent output.
        return ev.role === "assistant" ? [{ type: "text", text: ev.content }] : [];
      case "tool_use": {
        const params = ev.parameters ?? {};
        this.calls.set(ev.tool_id, { name: ev.tool_name, params });
        return [
          {
            type: "tool_call",
            id: ev.tool_id,
            name: truncate(ev.tool_name, 80),
            summary: summary(ev.tool_name, params),
          },
        ];
      }
      case "tool_result": {
        const call = this.calls.get(ev.tool_id);
        const isError = ev.status !== "success";
        const path = call !== undefined && FILE_TOOLS.has(call.name) ? call.params["file_path"] : undefined;
        return [
          {
            type: "tool_result",
            id: ev.tool_id,
            isError,
            summary: truncate(
              (isError ? (ev.error?.message ?? ev.output ?? "") : (ev.output ?? ev.status)).trim(),
            ),
            diffPaths: !isError && typeof path === "string" ? [worktreeRelative(path, this.worktree)] : [],
          },
        ];
      }
      case "error":
        return [
          { type: "status", message: truncate(`gemini ${ev.severity ?? "error"}: ${ev.message ?? ""}`) },
        ];
      case "result": {
        const ok = ev.status === "success";
        this.outcome = {
          ok,
          detail: ok
            ? "gemini finished"
            : truncate(`gemini ended with ${ev.status}: ${ev.error?.message ?? ""}`),
          steps: null,
        };
        return [
          {
            type: "usage",
            inputTokens: ev.stats?.input_tokens ?? null,
            outputTokens: ev.stats?.output_tokens ?? null,
            costUsd: null,
          },
        ];
      }
    }
  }
}
