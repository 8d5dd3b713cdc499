import { access } from "node:fs/promises";
import { join } from "node:path";
import { findExecutable } from "../agents/executable.js";
import { getAdapter } from "../agents/registry.js";
import { replayAdapter } from "../agents/replay/adapter.js";
import type { AgentAdapter } from "../agents/types.js";
import { OmkError } from "../core/errors.js";
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

/**
 * Fail before any worktree or ledger exists when the agent cannot even be started: a missing
 * binary is a set-up problem to fix, not a run to record.
 */
export async function preflightAgent(
  spec: string,
  agentBin: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Promise<void> {
  const others =
    "or pick another agent: --agent exec --agent-bin <command>, or --agent replay:<run-id | recording>";
  if (spec === "kimi") {
    const { kimiBin } = await import("../agents/kimi/adapter.js");
    const k = kimiBin(env, agentBin);
    if (findExecutable(k.bin, env["PATH"], cwd) === null) {
      throw new OmkError("AGENT_NOT_FOUND", `kimi executable not found: ${k.bin} (${k.source})`, {
        hint: `install the Kimi CLI so \`kimi\` is on PATH, or point --agent-bin at it; ${others}`,
      });
    }
  } else if (spec === "exec") {
    if (agentBin === undefined || findExecutable(agentBin, env["PATH"], cwd) === null) {
      throw new OmkError(
        "AGENT_NOT_FOUND",
        `exec agent not found or not executable: ${agentBin ?? "(none given)"}`,
        {
          hint: "pass --agent-bin <path to an executable> (chmod +x it)",
        },
      );
    }
  }
}
