import { OmkError } from "../../core/errors.js";
import type { AgentDescriptor, AgentHealth, DetectContext } from "../types.js";

/**
 * DeepSeek is an API provider (OpenAI-compatible Chat Completions), not a coding agent: omk lets it
 * read and review, never write or run commands. `omk ask deepseek` consults it (agents/deepseek/
 * client.ts); `--agent deepseek` for a run is refused by the registry's capability rule.
 */
export const DEEPSEEK_KEY_VAR = "DEEPSEEK_API_KEY";

/** Installed is trivially true; auth only says whether a key is set (never verified offline). */
export function deepseekHealth(ctx: DetectContext): AgentHealth {
  const key = ctx.parentEnv[DEEPSEEK_KEY_VAR];
  const set = key !== undefined && key !== "";
  return {
    adapter: "deepseek",
    installed: { value: true, how: "an API provider: nothing to install" },
    version: { value: null, how: "not applicable" },
    auth: set
      ? { value: "unknown", how: `${DEEPSEEK_KEY_VAR} is set (not verified offline)` }
      : { value: "missing", how: `${DEEPSEEK_KEY_VAR} is not set` },
    model: { value: null, how: "[providers.deepseek] model, else deepseek-chat" },
    quota: { value: null, how: "not applicable" },
  };
}

export const deepseekDescriptor: AgentDescriptor = {
  name: "deepseek",
  summary:
    "DeepSeek API: a read/review-only provider for `omk ask`, refused for runs (which need write and shell)",
  arg: null,
  agentBin: "unused",
  capabilities: ["read"],
  advisor: {
    kind: "api",
    how: "Chat Completions through the `openai` client: it can only answer",
  },
  env: { passThrough: [], secrets: [DEEPSEEK_KEY_VAR], provides: [] },
  sandbox: { network: "host", home: [] },
  notFoundHint: `deepseek is an API provider: set ${DEEPSEEK_KEY_VAR}`,
  create: async () => ({
    name: "deepseek",
    detect: async (ctx) => deepseekHealth(ctx),
    start: async () => {
      throw new OmkError("USAGE", "deepseek is a read-only provider: it cannot drive a run.");
    },
  }),
};
