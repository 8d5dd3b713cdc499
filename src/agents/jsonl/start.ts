import { OmkError } from "../../core/errors.js";
import { findExecutable } from "../../proc/executable.js";
import type { AgentSession, AgentStartContext } from "../types.js";
import { cliBin } from "./probe.js";
import { JsonlCliSession, type StreamParser } from "./session.js";

type Env = Readonly<Record<string, string | undefined>>;
type ExecutionMode = NonNullable<AgentStartContext["execution"]>;

/** What differs between the headless JSON-lines CLIs (claude, codex, gemini, opencode) when a turn starts. */
export interface JsonlCliStart {
  name: string;
  /** The `<NAME>_BIN` test seam. */
  binEnv: string;
  /** How to install the CLI, for the not-found hint. */
  install: string;
  /** Without the prompt, which the session writes to the CLI's stdin. */
  argv(exe: string, turn: { resume: string | null; execution: ExecutionMode }): string[];
  parser(): StreamParser;
  /** The most the CLI reads of a prompt on stdin, when it cuts the rest instead of failing. */
  maxPromptBytes?: number | undefined;
  passThrough: readonly string[];
  /** The contract's secret variables: passed explicitly when set, since the sanitizer drops them by name. */
  secrets: readonly string[];
  /** Settings the CLI takes from its environment for this execution mode. */
  env?: ((execution: ExecutionMode) => Record<string, string>) | undefined;
  /** What `--execution ask` means for this CLI, told to the person as a status event. */
  askNote: string;
}

/** The contract's secrets that are set. */
export function secretsFrom(env: Env, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = env[name];
    if (v !== undefined && v !== "") out[name] = v;
  }
  return out;
}

/** Find the CLI (or say how to get it) and open its session. */
export function startJsonlCli(ctx: AgentStartContext, spec: JsonlCliStart): AgentSession {
  if (ctx.signal?.aborted === true)
    throw new OmkError("INTERRUPTED", `Interrupted before ${spec.name} started.`);
  const { bin, source } = cliBin(spec.name, spec.binEnv, ctx.parentEnv, ctx.agentBin);
  const exe = findExecutable(bin, ctx.parentEnv["PATH"], ctx.cwd);
  if (exe === null) {
    throw new OmkError("AGENT_NOT_FOUND", `${spec.name} agent not found: ${bin} (from ${source})`, {
      hint: `Install ${spec.install}, or point --agent-bin at it.`,
      details: { bin, source },
    });
  }
  const execution = ctx.execution ?? "auto";
  const session = new JsonlCliSession(
    {
      name: spec.name,
      exe,
      argv: (resume) => spec.argv(exe, { resume, execution }),
      parser: spec.parser,
      maxPromptBytes: spec.maxPromptBytes,
      passThrough: spec.passThrough,
      explicitEnv: { ...secretsFrom(ctx.parentEnv, spec.secrets), ...spec.env?.(execution) },
      version: null,
    },
    ctx,
  );
  if (execution === "ask") session.emit({ type: "status", message: spec.askNote });
  return session;
}
