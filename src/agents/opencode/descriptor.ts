import type { AgentDescriptor } from "../types.js";
import { OPENCODE_ENV } from "./contract.js";

export const opencodeDescriptor: AgentDescriptor = {
  name: "opencode",
  summary: "opencode, headless (`opencode run --format json`); --execution mapped onto its permissions",
  arg: null,
  agentBin: "override",
  capabilities: ["read", "write", "shell"],
  advisor: {
    kind: "cli",
    how: "`OPENCODE_PERMISSION` denies edit, bash and webfetch: the writing tools are not offered",
  },
  env: OPENCODE_ENV,
  // The model API needs the network; its login and sessions live in ~/.local/share/opencode, its
  // config in ~/.config/opencode (which it writes to on start), the provider packages it installs
  // in ~/.cache/opencode.
  sandbox: {
    network: "host",
    home: [
      { path: ".local/share/opencode", writable: true },
      { path: ".config/opencode", writable: true },
      { path: ".cache/opencode", writable: true },
    ],
  },
  notFoundHint:
    "install opencode (npm install -g opencode-ai) so `opencode` is on PATH, or point --agent-bin at it",
  create: async () => (await import("./adapter.js")).createOpencodeAdapter(),
};
