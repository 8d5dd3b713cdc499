import { OmkError } from "../core/errors.js";
import { claudeDescriptor } from "./claude/descriptor.js";
import { codexDescriptor } from "./codex/descriptor.js";
import { deepseekDescriptor } from "./deepseek/descriptor.js";
import { execDescriptor } from "./exec/descriptor.js";
import { geminiDescriptor } from "./gemini/descriptor.js";
import { kimiDescriptor } from "./kimi/descriptor.js";
import { opencodeDescriptor } from "./opencode/descriptor.js";
import { replayDescriptor } from "./replay/descriptor.js";
import type { AgentAdapter, AgentDescriptor, AgentHealth, AgentSpec, DetectContext } from "./types.js";

/** Every adapter omk can drive. Adding one is a folder with a descriptor and a line here. */
const DESCRIPTORS: readonly AgentDescriptor[] = [
  kimiDescriptor,
  execDescriptor,
  replayDescriptor,
  claudeDescriptor,
  codexDescriptor,
  geminiDescriptor,
  opencodeDescriptor,
  deepseekDescriptor,
];

export function agentDescriptors(): readonly AgentDescriptor[] {
  return DESCRIPTORS;
}

function specForm(d: AgentDescriptor): string {
  return d.arg === null ? d.name : `${d.name}:${d.arg.placeholder}`;
}

/** `kimi | exec | replay:<run-id|recording.json>`, for help texts and config comments. */
export function agentSpecForms(): string {
  return DESCRIPTORS.map(specForm).join(" | ");
}

/** The descriptor an `--agent` value names; a usage error (listing the choices) for anything else. */
export function parseAgentSpec(text: string, cwd: string): { descriptor: AgentDescriptor; spec: AgentSpec } {
  const colon = text.indexOf(":");
  const name = colon < 0 ? text : text.slice(0, colon);
  const arg = colon < 0 ? null : text.slice(colon + 1);
  const descriptor = DESCRIPTORS.find((d) => d.name === name);
  if (descriptor === undefined || (descriptor.arg === null) !== (arg === null) || arg === "") {
    const wanted = descriptor ? specForm(descriptor) : null;
    throw new OmkError(
      "USAGE",
      wanted ? `--agent ${name} is written ${wanted}` : `Unknown agent adapter: ${text}`,
      {
        hint: `Use one of: ${agentSpecForms()}.`,
        details: { adapter: text, known: DESCRIPTORS.map((d) => d.name) },
      },
    );
  }
  const normalized = arg === null ? null : (descriptor.arg?.normalize?.(arg, cwd) ?? arg);
  return {
    descriptor,
    spec: { name, arg: normalized, text: normalized === null ? name : `${name}:${normalized}` },
  };
}

/** Flags that only make sense with some adapters, checked before any work starts. */
/**
 * A run's agent must be able to change files; a read-only provider (deepseek) is refused with that
 * rule before anything is created. (Replay writes without a shell; every CLI agent has both.)
 */
export function requireRunCapabilities(descriptor: AgentDescriptor): void {
  if (descriptor.capabilities.includes("write")) return;
  const able = DESCRIPTORS.filter((d) => d.capabilities.includes("write")).map((d) => d.name);
  throw new OmkError(
    "USAGE",
    `${descriptor.name} is read-only (${descriptor.capabilities.join(", ")}): a run needs an agent that may write`,
    {
      hint: `Pick an agent that can edit files: ${able.join(", ")}.`,
      details: { adapter: descriptor.name, capabilities: descriptor.capabilities },
    },
  );
}

export function checkAgentFlags(descriptor: AgentDescriptor, flags: { agentBin?: string | undefined }): void {
  requireRunCapabilities(descriptor);
  if (descriptor.agentBin === "required" && (flags.agentBin === undefined || flags.agentBin === "")) {
    throw new OmkError("USAGE", `--agent ${descriptor.name} needs --agent-bin <command>`, {
      hint: `omk run --agent ${descriptor.name} --agent-bin ./my-agent.sh "task"`,
    });
  }
}

/**
 * Fail before any worktree or ledger exists when the agent cannot even be started: a missing binary
 * is a set-up problem to fix, not a run to record. The adapter's own detect() decides.
 */
export async function preflightAgent(
  descriptor: AgentDescriptor,
  adapter: AgentAdapter,
  ctx: DetectContext,
): Promise<AgentHealth> {
  // An agent from .omk/config.toml has not passed checkAgentFlags.
  requireRunCapabilities(descriptor);
  return requireInstalled(descriptor, adapter, ctx);
}

/** The adapter's detect(), refused as AGENT_NOT_FOUND (with the adapter's install hint) when it is not installed. */
export async function requireInstalled(
  descriptor: AgentDescriptor,
  adapter: AgentAdapter,
  ctx: DetectContext,
): Promise<AgentHealth> {
  const health = await adapter.detect(ctx);
  if (!health.installed.value) {
    throw new OmkError("AGENT_NOT_FOUND", `${descriptor.name} agent not found: ${health.installed.how}`, {
      hint: descriptor.notFoundHint,
    });
  }
  return health;
}

/**
 * The adapter of a descriptor outside any run (a health probe, a consultation): no run directory,
 * and no recorded run to replay.
 */
export function standaloneAdapter(d: AgentDescriptor): Promise<AgentAdapter> {
  return d.create(
    { name: d.name, arg: null, text: d.name },
    { runDir: "", recordingOfRun: () => Promise.reject(new Error(`${d.name} is not a replay of a run`)) },
  );
}
