import type { AgentDescriptor } from "../types.js";
import { GEMINI_ENV } from "./contract.js";

export const geminiDescriptor: AgentDescriptor = {
  name: "gemini",
  summary:
    "Gemini CLI, headless (`gemini --output-format stream-json`); --execution mapped onto its approval modes",
  arg: null,
  agentBin: "override",
  capabilities: ["read", "write", "shell"],
  advisor: { kind: "cli", how: "`--approval-mode plan` (read-only tools only)" },
  env: GEMINI_ENV,
  // The model API needs the network; ~/.gemini holds its settings, login and sessions (resume needs them).
  sandbox: { network: "host", home: [{ path: ".gemini", writable: true }] },
  notFoundHint:
    "install Gemini CLI (npm install -g @google/gemini-cli) so `gemini` is on PATH, or point --agent-bin at it",
  create: async () => (await import("./adapter.js")).createGeminiAdapter(),
};
