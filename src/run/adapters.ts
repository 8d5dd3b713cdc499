import { access } from "node:fs/promises";
import { join } from "node:path";
import { getAdapter } from "../agents/registry.js";
import { replayAdapter } from "../agents/replay/adapter.js";
import type { AgentAdapter } from "../agents/types.js";
import { readLedger } from "../store/ledger/index.js";
import { writePrivateJson } from "../store/private-fs.js";
import { exportRecording } from "./export.js";
import { type ProjectLocation, resolveRunId } from "./locate.js";
import { projectRun } from "./state.js";

/**
 * `--agent` values: an adapter name, or `replay:<run-id | recording file>`. A run id is turned into
 * a recording file inside the new run's own directory so the replay source is kept with the run.
 */
export async function resolveAdapter(
  spec: string,
  project: ProjectLocation,
  runDir: string,
): Promise<AgentAdapter> {
  if (!spec.startsWith("replay:")) return getAdapter(spec);
  const source = spec.slice("replay:".length);
  const file = join(runDir, "replay-source.json");
  if (await exists(source)) return replayAdapter(source);
  const alreadyCopied = await exists(file);
  if (!alreadyCopied) {
    const loc = await resolveRunId(project, source);
    const { events } = await readLedger(loc.dir);
    await writePrivateJson(file, await exportRecording(loc.dir, projectRun(events)));
  }
  return replayAdapter(file);
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
