import { join } from "node:path";
import { detectGates } from "../gates/detect.js";
import { loadGatesFile } from "../gates/load.js";
import type { GateSpec } from "../gates/schema.js";

export type Env = Readonly<Record<string, string | undefined>>;

export interface TreeGates {
  gates: GateSpec[];
  /** ".omk/gates.toml" or "detected". */
  source: string;
}

/** `.omk/gates.toml` of the tree at `dir` when present (errors in it are fatal), otherwise detection. */
export async function gatesForTree(dir: string, env: Env): Promise<TreeGates> {
  const loaded = await loadGatesFile(join(dir, ".omk", "gates.toml"), { env });
  if (loaded.found) return { gates: loaded.config.gates, source: ".omk/gates.toml" };
  return { gates: await detectGates(dir, { env }), source: "detected" };
}
