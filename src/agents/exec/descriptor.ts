import type { AgentDescriptor } from "../types.js";

export const execDescriptor: AgentDescriptor = {
  name: "exec",
  summary:
    "any command (--agent-bin, --agent-arg): the task in OMK_TASK and on stdin (on retries the feedback follows it there, and is in OMK_FEEDBACK_FILE); its exit code is its verdict",
  arg: null,
  agentBin: "required",
  capabilities: ["read", "write", "shell"],
  advisor: {
    kind: "none",
    why: "an arbitrary command has no read-only mode omk could enforce",
  },
  env: { passThrough: [], secrets: [], provides: ["OMK_TASK", "OMK_ATTEMPT", "OMK_FEEDBACK_FILE"] },
  // An arbitrary command: no network and nothing of HOME unless the run asks (--network host).
  sandbox: { network: "none", home: [] },
  notFoundHint: "pass --agent-bin <path to an executable> (chmod +x it)",
  create: async () => (await import("./adapter.js")).createExecAdapter(),
};
