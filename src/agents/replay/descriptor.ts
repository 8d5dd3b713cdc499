import { isAbsolute, resolve } from "node:path";
import type { AgentDescriptor } from "../types.js";

export const replayDescriptor: AgentDescriptor = {
  name: "replay",
  summary: "re-applies a recorded run's patches attempt by attempt: deterministic, no model",
  arg: {
    placeholder: "<run-id|recording.json>",
    // Keep file sources absolute so `run resume` from another directory finds them.
    normalize: (arg, cwd) =>
      (arg.includes("/") || arg.endsWith(".json")) && !isAbsolute(arg) ? resolve(cwd, arg) : arg,
  },
  agentBin: "unused",
  capabilities: ["write"],
  advisor: { kind: "none", why: "it re-applies recorded patches: it answers nothing" },
  env: { passThrough: [], secrets: [], provides: [] },
  sandbox: { network: "none", home: [] },
  notFoundHint: "check the recording file, or the run id (`omk run list`)",
  create: async (spec, ctx) => (await import("./adapter.js")).createReplayAdapter(spec.arg ?? "", ctx),
};
