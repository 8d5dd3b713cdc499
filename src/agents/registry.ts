import { OmkError } from "../core/errors.js";
import type { AgentAdapter } from "./types.js";

// Loaded on demand: the kimi adapter pulls in the SDK's wire schemas (~80 ms of module loading),
// which an `exec` or `replay` run never needs.
const FACTORIES: Readonly<Record<string, () => Promise<AgentAdapter>>> = {
  kimi: async () => (await import("./kimi/adapter.js")).createKimiAdapter(),
  exec: async () => (await import("./exec/adapter.js")).createExecAdapter(),
};

export function adapterNames(): string[] {
  return Object.keys(FACTORIES);
}

export function getAdapter(name: string): Promise<AgentAdapter> {
  const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name] : undefined;
  if (factory === undefined) {
    return Promise.reject(
      new OmkError("USAGE", `Unknown agent adapter: ${name}`, {
        hint: `Use one of: ${adapterNames().join(", ")}, or replay:<run-id | recording file>.`,
        details: { adapter: name, known: adapterNames() },
      }),
    );
  }
  return factory();
}
