import type { AgentDescriptor } from "../types.js";
import { CODEX_ENV } from "./contract.js";

export const codexDescriptor: AgentDescriptor = {
  name: "codex",
  summary: "OpenAI Codex, headless (`codex exec --json`); --execution mapped onto its sandbox",
  arg: null,
  agentBin: "override",
  capabilities: ["read", "write", "shell"],
  advisor: { kind: "cli", how: "`codex exec` in its `read-only` sandbox" },
  env: CODEX_ENV,
  // The model API needs the network; ~/.codex holds its config, login and sessions (resume needs them).
  sandbox: { network: "host", home: [{ path: ".codex", writable: true }] },
  notFoundHint:
    "install Codex (npm install -g @openai/codex) so `codex` is on PATH, or point --agent-bin at it",
  create: async () => (await import("./adapter.js")).createCodexAdapter(),
};
