import type { AgentDescriptor } from "../types.js";
import { CLAUDE_ENV } from "./contract.js";

export const claudeDescriptor: AgentDescriptor = {
  name: "claude",
  summary:
    "Claude Code, headless (`claude -p --output-format stream-json`); --execution mapped onto its permission modes",
  arg: null,
  agentBin: "override",
  capabilities: ["read", "write", "shell"],
  env: CLAUDE_ENV,
  notFoundHint:
    "install Claude Code (npm install -g @anthropic-ai/claude-code) so `claude` is on PATH, or point --agent-bin at it",
  create: async () => (await import("./adapter.js")).createClaudeAdapter(),
};
