import { z } from "zod";
import { DEEPSEEK_DEFAULT_MODEL } from "../agents/deepseek/defaults.js";
import { agentDescriptors } from "../agents/registry.js";
import { ExecutionModeSchema } from "../policy/execution-mode.js";
import { pickable } from "../policy/providers.js";
import { SANDBOX_MODES, SANDBOX_NETWORKS } from "../proc/sandbox.js";

/**
 * `.omk/config.toml`: trusted project configuration (DESIGN: the repo's own `.omk/` is trusted),
 * still validated so a typo fails loudly with the file and key instead of being ignored.
 */
const Argv = z.array(z.string().min(1)).min(1);

const WorkspaceConfigSchema = z
  .object({
    /** argv commands run in a fresh worktree before the agent, e.g. ["npm", "ci", "--prefer-offline"]. */
    setup: z.array(Argv).default([]),
    /** git-ignored files copied into each worktree (opt-in; secret-scanned). */
    copy: z.array(z.string().min(1)).default([]),
    /** paths symlinked into each worktree (e.g. a shared dependency folder). */
    link: z.array(z.string().min(1)).default([]),
    allow_secrets: z.boolean().default(false),
    /** Ignored paths a gate workspace keeps between resets (default: the detected ecosystem's, e.g. node_modules). */
    cache: z.array(z.string().min(1)).optional(),
    setup_timeout_secs: z.number().int().min(1).max(86_400).default(1800),
  })
  .strict();

const RunConfigSchema = z
  .object({
    agent: z.string().min(1).default("kimi"),
    execution: ExecutionModeSchema.default("auto"),
    max_attempts: z.number().int().min(1).max(20).default(3),
    agent_timeout_secs: z.number().int().min(1).max(86_400).default(3600),
  })
  .strict();

const LandConfigSchema = z
  .object({
    mode: z.enum(["ff-only", "merge"]).default("ff-only"),
  })
  .strict();

const SandboxConfigSchema = z
  .object({
    /** auto: confine when bwrap works here, else run unconfined and say so; required: refuse without; off. */
    mode: z.enum(SANDBOX_MODES).default("auto"),
    /** The agent's network; unset: what its adapter declares (host for model agents, none for exec, replay). */
    network: z.enum(SANDBOX_NETWORKS).optional(),
  })
  .strict();

const GatesConfigSchema = z
  .object({
    /** The gates' network inside the sandbox. */
    network: z.enum(SANDBOX_NETWORKS).default("none"),
  })
  .strict();

/** A name in a `[providers]` list: an adapter a policy can pick by itself (not exec, not replay). */
const ProviderName = z.string().superRefine((name, ctx) => {
  const d = agentDescriptors().find((x) => x.name === name);
  const ok = agentDescriptors()
    .filter(pickable)
    .map((x) => x.name);
  if (d === undefined)
    ctx.addIssue({ code: "custom", message: `unknown provider "${name}": use one of ${ok.join(", ")}` });
  else if (!pickable(d))
    ctx.addIssue({
      code: "custom",
      message: `${name} cannot be picked by a policy (it needs ${d.arg === null ? "--agent-bin" : `${name}:${d.arg.placeholder}`}): use one of ${ok.join(", ")}`,
    });
});

const ProvidersConfigSchema = z
  .object({
    /** `--agent authority`: the providers trusted to decide, first healthy one wins. */
    authority: z.array(ProviderName).default([]),
    /** `--agent primary`: the everyday providers, first healthy one wins. */
    primary: z.array(ProviderName).default([]),
    deepseek: z
      .object({
        /** Default https://api.deepseek.com; DEEPSEEK_BASE_URL overrides it. */
        base_url: z.url({ protocol: /^https?$/ }).optional(),
        model: z.string().min(1).default(DEEPSEEK_DEFAULT_MODEL),
      })
      .strict()
      .default({ model: DEEPSEEK_DEFAULT_MODEL }),
  })
  .strict();

export const ProjectConfigSchema = z
  .object({
    version: z.literal(1).default(1),
    run: RunConfigSchema.default(RunConfigSchema.parse({})),
    workspace: WorkspaceConfigSchema.default(WorkspaceConfigSchema.parse({})),
    land: LandConfigSchema.default(LandConfigSchema.parse({})),
    sandbox: SandboxConfigSchema.default(SandboxConfigSchema.parse({})),
    gates: GatesConfigSchema.default(GatesConfigSchema.parse({})),
    providers: ProvidersConfigSchema.default(ProvidersConfigSchema.parse({})),
  })
  .strict();

export type ProjectConfig = z.infer<typeof ProjectConfigSchema>;
export type WorkspaceConfig = z.infer<typeof WorkspaceConfigSchema>;
export type SandboxConfig = z.infer<typeof SandboxConfigSchema>;
export type ProvidersConfig = z.infer<typeof ProvidersConfigSchema>;
