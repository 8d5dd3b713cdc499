import { z } from "zod";
import { worktreeRelative } from "../claude/stream.js";
import { jsonObject, type StreamParser, truncate } from "../jsonl/session.js";
import type { AgentEvent } from "../types.js";

/** `opencode run --format json` lines → omk's normalized events (validated loosely). */

const ToolState = z.looseObject({
  status: z.string(),
  input: z.record(z.string(), z.unknown()).optional(),
  output: z.string().optional(),
  error: z.string().optional(),
});

const Line = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("step_start"), sessionID: z.string().optional() }),
  z.looseObject({
    type: z.literal("text"),
    sessionID: z.string().optional(),
    part: z.looseObject({ text: z.string() }),
  }),
  z.looseObject({
    type: z.literal("reasoning"),
    sessionID: z.string().optional(),
    part: z.looseObject({ text: z.string() }),
  }),
  z.looseObject({
    type: z.literal("tool_use"),
    sessionID: z.string().optional(),
    part: z.looseObject({ tool: z.string(), callID: z.string(), state: ToolState }),
  }),
  z.looseObject({
    type: z.literal("step_finish"),
    sessionID: z.string().optional(),
    part: z.looseObject({
      reason: z.string().optional(),
      cost: z.number().optional(),
      tokens: z
        .looseObject({
          input: z.number().optional(),
          output: z.number().optional(),
          cache: z.looseObject({ read: z.number().optional(), write: z.number().optional() }).optional(),
        })
        .optional(),
    }),
  }),
  z.looseObject({
    type: z.literal("error"),
    sessionID: z.string().optional(),
    error: z
      .looseObject({
        name: z.string().optional(),
        data: z.looseObject({ message: z.string().optional() }).optional(),
      })
      .optional(),
  }),
]);

const FILE_TOOLS = new Set(["write", "edit", "patch", "multiedit"]);

function summary(tool: string, input: Record<string, unknown>): string {
  for (const key of ["filePath", "command", "pattern", "path", "url", "description"]) {
    const v = input[key];
    if (typeof v === "string" && v !== "") return truncate(`${tool} ${v}`);
  }
  return tool;
}

export class OpencodeStreamParser implements StreamParser {
  sessionId: string | null = null;
  outcome: StreamParser["outcome"] = null;
  readonly version = null;
  private steps = 0;
  private failed: string | null = null;

  constructor(private readonly worktree: string) {}

  line(raw: string): AgentEvent[] {
    const obj = jsonObject(raw);
    if (obj === null) return raw.trim() === "" ? [] : [{ type: "text", text: raw }];
    const parsed = Line.safeParse(obj);
    if (!parsed.success) {
      const type = typeof obj["type"] === "string" ? obj["type"] : "?";
      return [{ type: "status", message: truncate(`opencode event ${type} not recognized`) }];
    }
    const ev = parsed.data;
    if (ev.sessionID !== undefined) this.sessionId = ev.sessionID;
    switch (ev.type) {
      case "step_start":
        this.steps++;
        return [{ type: "step", n: this.steps }];
      case "text":
        return [{ type: "text", text: ev.part.text }];
      case "reasoning":
        return [{ type: "thinking", text: ev.part.text }];
      case "tool_use": {
        // opencode reports a tool call once, when it is done: the call and its result together.
        const { tool, callID, state } = ev.part;
        const input = state.input ?? {};
        const isError = state.status !== "completed";
        const path = FILE_TOOLS.has(tool) ? input["filePath"] : undefined;
        return [
          { type: "tool_call", id: callID, name: truncate(tool, 80), summary: summary(tool, input) },
          {
            type: "tool_result",
            id: callID,
            isError,
            summary: truncate(
              (isError ? (state.error ?? state.status) : (state.output ?? state.status)).trim(),
            ),
            diffPaths: !isError && typeof path === "string" ? [worktreeRelative(path, this.worktree)] : [],
          },
        ];
      }
      case "step_finish": {
        const t = ev.part.tokens;
        this.outcome =
          this.failed === null
            ? { ok: true, detail: "opencode finished", steps: this.steps }
            : { ok: false, detail: this.failed, steps: this.steps };
        const input = t?.input === undefined ? null : t.input + (t.cache?.read ?? 0) + (t.cache?.write ?? 0);
        return [
          {
            type: "usage",
            inputTokens: input,
            outputTokens: t?.output ?? null,
            costUsd: ev.part.cost ?? null,
          },
        ];
      }
      case "error": {
        const message = truncate(`opencode ${ev.error?.name ?? "error"}: ${ev.error?.data?.message ?? ""}`);
        this.failed = message;
        this.outcome = { ok: false, detail: message, steps: this.steps };
        return [{ type: "status", message }];
      }
    }
  }
}
