/**
 * Typed views of the kimi wire payloads omk reads. The SDK's schemas do the validation at runtime, but
 * its published .d.ts is written against zod 3 and collapses to `any` under our zod 4, so these
 * interfaces restate the shapes of the parsed values (SDK 0.1.8, protocol 1.7).
 */

export type WireDisplayBlock =
  | { type: "brief"; text: string }
  | { type: "diff"; path: string; old_text: string; new_text: string }
  | { type: "todo"; items: { title: string; status: string }[] }
  | { type: "shell"; language: string; command: string }
  | { type: string; data: Record<string, unknown> };

export type WireContentPart =
  | { type: "text"; text: string }
  | { type: "think"; think: string }
  | { type: "image_url" | "audio_url" | "video_url" };

export interface WireToolCall {
  type: "function";
  id: string;
  function: { name: string; arguments?: string | null | undefined };
}

export interface WireToolResult {
  tool_call_id: string;
  return_value: {
    is_error: boolean;
    output: string | WireContentPart[];
    message: string;
    display: WireDisplayBlock[];
  };
}

export interface WireStatusUpdate {
  context_usage?: number | null | undefined;
  token_usage?:
    | { input_other: number; output: number; input_cache_read: number; input_cache_creation: number }
    | null
    | undefined;
}

export interface WireApprovalRequest {
  id: string;
  tool_call_id: string;
  sender: string;
  action: string;
  description: string;
  display?: WireDisplayBlock[] | undefined;
}

export interface WireQuestionRequest {
  id: string;
  tool_call_id: string;
  questions: { question: string }[];
}

export interface WireToolCallRequest {
  id: string;
  name: string;
  arguments?: string | null | undefined;
}

export interface WireHookRequest {
  id: string;
  subscription_id: string;
  event: string;
  target: string;
}

export interface WireRunResult {
  status: "finished" | "cancelled" | "max_steps_reached";
  steps?: number | undefined;
}

export interface WireInitializeResult {
  protocol_version: string;
  server: { name: string; version: string };
}
