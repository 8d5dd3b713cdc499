import { OmkError } from "../../core/errors.js";
import type { AgentDescriptor } from "../types.js";

/**
 * DeepSeek is an API provider (OpenAI-compatible Chat Completions), not a coding agent: omk lets it
 * read and review, never write or run commands. It is registered so that `--agent deepseek` is
 * refused with that reason rather than as an unknown name; `omk ask` (its read-only use) is not
 * built yet.
 */
export const deepseekDescriptor: AgentDescriptor = {
  name: "deepseek",
  summary: "DeepSeek API: a read/review-only provider, refused for runs (which need write and shell)",
  arg: null,
  agentBin: "unused",
  capabilities: ["read"],
  env: { passThrough: [], secrets: ["DEEPSEEK_API_KEY"], provides: [] },
  sandbox: { network: "host", home: [] },
  notFoundHint: "deepseek is an API provider: set DEEPSEEK_API_KEY",
  create: async () => ({
    name: "deepseek",
    detect: async () => ({
      adapter: "deepseek",
      installed: { value: true, how: "an API provider: nothing to install" },
      version: { value: null, how: "not applicable" },
      auth: { value: "unknown", how: "not probed" },
      model: { value: null, how: "not applicable" },
      quota: { value: null, how: "not applicable" },
    }),
    start: async () => {
      throw new OmkError("USAGE", "deepseek is a read-only provider: it cannot drive a run.");
    },
  }),
};
