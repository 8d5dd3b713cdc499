import { agentDescriptors, parseAgentSpec, preflightAgent, standaloneAdapter } from "../agents/registry.js";
import type { AgentAdapter, AgentDescriptor, AgentHealth, AgentSpec } from "../agents/types.js";
import { OmkError } from "../core/errors.js";
import { assertWritable, readRunJournal } from "../journal/run-journal.js";
import { isProviderPolicy, type Resolution, resolveProvider, type Work } from "../policy/providers.js";
import type { ProjectConfig } from "../project/config-schema.js";
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

type Env = Readonly<Record<string, string | undefined>>;

/** What the adapter's own detect() says, auth included (the policy skips a CLI known to be logged out). */
export async function providerHealth(d: AgentDescriptor, o: { cwd: string; env: Env }): Promise<AgentHealth> {
  const adapter = await standaloneAdapter(d);
  return adapter.detect({ parentEnv: o.env, cwd: o.cwd, probeAuth: true });
}

/**
 * `--agent authority | primary | omk` → the concrete adapter name the provider policy picks for the
 * work (the config's `[providers]` lists); any other value is returned as given.
 */
export async function choosePolicyAgent(
  text: string,
  o: { config: ProjectConfig; cwd: string; env: Env; work: Work; agentBin?: string | undefined },
): Promise<{ name: string; resolution: Resolution | null }> {
  if (!isProviderPolicy(text)) return { name: text, resolution: null };
  if (o.agentBin !== undefined)
    throw new OmkError("USAGE", `--agent-bin names one executable; --agent ${text} picks among several`, {
      hint: "name the agent itself (--agent claude --agent-bin …), or drop --agent-bin",
    });
  const resolution = await resolveProvider({
    policy: text,
    work: o.work,
    lists: {
      authority: o.config.providers.authority,
      primary: o.config.providers.primary,
      runAgent: o.config.run.agent,
    },
    descriptors: agentDescriptors(),
    health: (d) => providerHealth(d, o),
  });
  return { name: resolution.descriptor.name, resolution };
}

/** One line for the person: which provider the policy picked, and what it passed over. */
export function describeResolution(r: Resolution): string {
  const passed = r.refused.map((x) => `${x.name}: ${x.reason}`).join("; ");
  return `--agent ${r.policy}: ${r.descriptor.name}${passed === "" ? "" : ` (passed over ${passed})`}`;
}
