import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { checkAgentFlags, parseAgentSpec } from "../../agents/registry.js";
import { OmkError } from "../../core/errors.js";
import { isProviderPolicy } from "../../policy/providers.js";
import type { SandboxMode, SandboxNetwork } from "../../proc/sandbox.js";
import type { ReopenRequest } from "../../run/reopen.js";

// Reading what `omk run` and `omk run resume` were given: the task, the attempt budget, a resume's flags.

/** The task: the words, or the contents of --task-file (`-`: stdin). */
export async function readTask(words: readonly string[], taskFile: string | undefined): Promise<string> {
  if (taskFile === undefined) {
    if (words.length === 0)
      throw new OmkError("USAGE", "no task given", {
        hint: "omk run <what the agent should do>, or --task-file FILE (`-` reads stdin)",
      });
    return words.join(" ");
  }
  if (words.length > 0)
    throw new OmkError("USAGE", "give the task as words or with --task-file, not both", {
      hint: "put everything the agent should know in the file",
    });
  try {
    const text = taskFile === "-" ? await readStdin() : await readFile(taskFile, "utf8");
    return text.trimEnd();
  } catch (err) {
    throw new OmkError("USAGE", `cannot read the task file ${taskFile}: ${(err as Error).message}`, {
      hint: "--task-file takes a readable file, or - for stdin",
    });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

export interface ResumeFlags {
  sandbox?: SandboxMode;
  network?: SandboxNetwork;
  maxAttempts?: string;
  agent?: string;
  agentBin?: string;
  agentArg?: string[];
  model?: string;
  acceptOutsideChanges?: boolean;
}

const RESUME_KEYS: readonly string[] = [
  "maxAttempts",
  "agent",
  "agentBin",
  "agentArg",
  "model",
  "sandbox",
  "network",
];

/**
 * The flags written after `omk run resume`: commander hands the ones `omk run` also defines to
 * `omk run` (the program's options are not positional), so they are taken back from there; a start
 * flag that means nothing to a resume is refused rather than ignored.
 */
export function startFlagsFor(cmd: Command): ResumeFlags {
  const parent = (cmd.parent?.opts() ?? {}) as Record<string, unknown>;
  const stray = Object.keys(parent).filter((k) => parent[k] !== undefined && !RESUME_KEYS.includes(k));
  if (stray.length > 0) {
    const flag = stray[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new OmkError("USAGE", `--${flag} is a flag of starting a run, not of \`omk run resume\``, {
      hint: "a resumed run keeps its task, base and settings; see omk run resume --help",
    });
  }
  return parent as ResumeFlags;
}

/** `--max-attempts N [--agent …]` of `omk run resume`, checked before the run is touched. */
export function reopenRequest(flags: ResumeFlags): ReopenRequest | undefined {
  const agentFlags = [
    flags.agentBin === undefined ? null : "--agent-bin",
    flags.agentArg === undefined ? null : "--agent-arg",
    flags.model === undefined ? null : "--model",
  ].filter((f) => f !== null);
  if (flags.agent === undefined && agentFlags.length > 0)
    throw new OmkError("USAGE", `${agentFlags.join(", ")} describe a new agent and need --agent`, {
      hint: "omk run resume <run> --max-attempts N --agent exec --agent-bin ./my-agent.sh",
    });
  const acceptOutside = flags.acceptOutsideChanges === true;
  if (flags.maxAttempts === undefined) {
    if (flags.agent !== undefined)
      throw new OmkError("USAGE", "--agent on resume needs --max-attempts: a new agent gets new attempts", {
        hint: "omk run resume <run> --max-attempts N --agent <name>",
      });
    return acceptOutside ? { maxAttempts: null, agent: null, acceptOutside } : undefined;
  }
  const maxAttempts = parseMaxAttempts(flags.maxAttempts);
  if (flags.agent === undefined) return { maxAttempts, agent: null, acceptOutside };
  if (isProviderPolicy(flags.agent))
    throw new OmkError(
      "USAGE",
      `--agent ${flags.agent} picks an agent for a new run, not for a resumed one`,
      {
        hint: "name the agent for the new attempts: omk run resume <run> --max-attempts N --agent <name>",
      },
    );
  checkAgentFlags(parseAgentSpec(flags.agent, process.cwd()).descriptor, { agentBin: flags.agentBin });
  return {
    maxAttempts,
    agent: {
      spec: flags.agent,
      bin: flags.agentBin === undefined ? null : resolve(flags.agentBin),
      args: flags.agentArg ?? [],
      model: flags.model ?? null,
    },
    acceptOutside,
  };
}

export function parseMaxAttempts(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 20)
    throw new OmkError(
      "USAGE",
      `--max-attempts must be an integer from 1 to 20, got ${JSON.stringify(text)}`,
    );
  return n;
}
