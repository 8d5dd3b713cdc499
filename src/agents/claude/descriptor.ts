import type { AgentDescriptor } from "../types.js";
import { CLAUDE_ENV } from "./contract.js";

export const claudeDescriptor: AgentDescriptor = {
  name: "claude",
  summary:
    "Claude Code, headless (`claude -p --output-format stream-json`); --execution mapped onto its permission modes",
  arg: null,
  agentBin: "override",
  capabilities: ["read", "write", "shell"],
  advisor: {
    kind: "cli",
    how: "`--permission-mode plan --disallowedTools Bash,Edit,Write,MultiEdit,NotebookEdit`",
  },
  env: CLAUDE_ENV,
  // The model API needs the network; ~/.claude holds its settings, login and sessions (resume needs
  // them), ~/.claude.json its state.
  sandbox: {
    network: "host",
    home: [
      { path: ".claude", writable: true },
      { path: ".claude.json", writable: true },
    ],
  },
  notFoundHint:
    "install Claude Code (npm install -g @anthropic-ai/claude-code) so `claude` is on PATH, or point --agent-bin at it",
  create: async () => (await import("./adapter.js")).createClaudeAdapter(),
};
