import { z } from "zod";
import { ExecutionModeSchema } from "../policy/execution-mode.js";
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

export const ProjectConfigSchema = z
  .object({
    version: z.literal(1).default(1),
    run: RunConfigSchema.default(RunConfigSchema.parse({})),
    workspace: WorkspaceConfigSchema.default(WorkspaceConfigSchema.parse({})),
    land: LandConfigSchema.default(LandConfigSchema.parse({})),
    sandbox: SandboxConfigSchema.default(SandboxConfigSchema.parse({})),
    gates: GatesConfigSchema.default(GatesConfigSchema.parse({})),
  })
  .strict();

export type ProjectConfig = z.infer<typeof ProjectConfigSchema>;
export type WorkspaceConfig = z.infer<typeof WorkspaceConfigSchema>;
export type SandboxConfig = z.infer<typeof SandboxConfigSchema>;
