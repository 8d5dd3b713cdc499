import type { AgentDescriptor } from "../types.js";
import { KIMI_ENV } from "./contract.js";

export const kimiDescriptor: AgentDescriptor = {
  name: "kimi",
  summary: "Kimi CLI over `kimi --wire` (JSON-RPC); every approval decided by the execution policy",
  arg: null,
  agentBin: "override",
  capabilities: ["read", "write", "shell"],
  advisor: {
    kind: "cli",
    how: "`kimi --wire` with every approval request rejected (execution never): it reads, never writes or runs commands",
  },
  env: KIMI_ENV,
  // The model API needs the network; ~/.kimi holds its config, login and sessions; uv installs it
  // under ~/.local (the launcher in bin/, the tool and its Python in share/uv/).
  sandbox: {
    network: "host",
    home: [
      { path: ".kimi", writable: true },
      { path: ".local/bin", writable: false },
      { path: ".local/share/uv", writable: false },
    ],
  },
  notFoundHint:
    "install the Kimi CLI so `kimi` is on PATH, or point --agent-bin at it; or pick another agent: --agent exec --agent-bin <command>, or --agent replay:<run-id | recording>",
  // Loaded on demand: the adapter pulls in the SDK's wire schemas (~80 ms of module loading).
  create: async () => (await import("./adapter.js")).createKimiAdapter(),
};
