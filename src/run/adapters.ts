import { parseAgentSpec, preflightAgent } from "../agents/registry.js";
import type { AgentAdapter, AgentDescriptor, AgentSpec } from "../agents/types.js";
import { assertWritable, readRunJournal } from "../journal/run-journal.js";
import { type ProjectLocation, resolveRunId } from "../project/locate.js";
import { exportRecording } from "./export.js";

export interface ResolvedAgent {
  descriptor: AgentDescriptor;
  spec: AgentSpec;
  adapter: AgentAdapter;
}

/**
 * An `--agent` value → its adapter, ready to start: parsed by the registry, created with what a run
 * can offer any adapter (its directory; recordings of earlier runs), and — for a new run — preflighted
 * through the adapter's own detect(), before any worktree or ledger exists.
 */
export async function resolveAgent(
  specText: string,
  o: {
    project: ProjectLocation;
    runDir: string;
    cwd: string;
    env: Readonly<Record<string, string | undefined>>;
    agentBin?: string | undefined;
    preflight: boolean;
    /** The run's agent was just replaced: what an earlier agent kept in the run dir is not this one's. */
    fresh?: boolean | undefined;
  },
): Promise<ResolvedAgent> {
  const { descriptor, spec } = parseAgentSpec(specText, o.cwd);
  const adapter = await descriptor.create(spec, {
    runDir: o.runDir,
    fresh: o.fresh === true,
    recordingOfRun: async (query) => {
      const loc = await resolveRunId(o.project, query);
      return exportRecording(loc.dir, assertWritable(await readRunJournal(loc.dir), loc.runId));
    },
  });
  if (o.preflight)
    await preflightAgent(descriptor, adapter, { parentEnv: o.env, agentBin: o.agentBin, cwd: o.cwd });
  return { descriptor, spec, adapter };
}
