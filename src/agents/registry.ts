import { OmkError } from "../core/errors.js";
import { createExecAdapter } from "./exec/adapter.js";
import { createKimiAdapter } from "./kimi/adapter.js";
import type { AgentAdapter } from "./types.js";

const FACTORIES: Readonly<Record<string, () => AgentAdapter>> = {
  kimi: () => createKimiAdapter(),
  exec: () => createExecAdapter(),
};

export function adapterNames(): string[] {
  return Object.keys(FACTORIES);
}

export function getAdapter(name: string): AgentAdapter {
  const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name] : undefined;
  if (factory === undefined) {
    throw new OmkError("USAGE", `Unknown agent adapter: ${name}`, {
      hint: `Use one of: ${adapterNames().join(", ")}.`,
      details: { adapter: name, known: adapterNames() },
    });
  }
  return factory();
}
