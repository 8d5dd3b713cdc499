import { join } from "node:path";
import { detectGates } from "../gates/detect.js";
import { loadGatesFile } from "../gates/load.js";
import { type GateRunOptions, runGates } from "../gates/runner.js";
import type { GateSpec } from "../gates/schema.js";
import { requireRepoRoot } from "../git/index.js";

export interface ProjectGates {
  root: string;
  gates: GateSpec[];
  source: string;
}

/** `.omk/gates.toml` when present (errors in it are fatal), otherwise detection. */
export async function loadProjectGates(cwd: string): Promise<ProjectGates> {
  const root = await requireRepoRoot(cwd);
  return { root, ...(await gatesForTree(root)) };
}

export async function gatesForTree(dir: string): Promise<{ gates: GateSpec[]; source: string }> {
  const file = join(dir, ".omk", "gates.toml");
  const loaded = await loadGatesFile(file);
  if (loaded.found) return { gates: loaded.config.gates, source: ".omk/gates.toml" };
  return { gates: await detectGates(dir), source: "detected" };
}

export function verifyTree(
  root: string,
  gates: readonly GateSpec[],
  opts: Omit<GateRunOptions, "root">,
): ReturnType<typeof runGates> {
  return runGates(gates, { ...opts, root });
}
