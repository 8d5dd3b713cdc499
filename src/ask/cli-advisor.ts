import type { AgentAdapter, AgentEvent } from "../agents/types.js";
import { OmkError } from "../core/errors.js";
import { decideApproval } from "../policy/approval.js";
import { ProcessContext } from "../proc/context.js";
import { killProcessesIn } from "../proc/orphans.js";
import { withThrowawayWorktree } from "../project/throwaway.js";
import { redactText } from "../security/redact.js";

/** An answer far longer than this is cut: it is meant for a person to read. */
const MAX_ANSWER_CHARS = 256 * 1024;

export interface CliAnswer {
  text: string;
  usage: { inputTokens: number | null; outputTokens: number | null; costUsd: number | null } | null;
}

type Env = Readonly<Record<string, string | undefined>>;

function add(a: number | null, b: number | null): number | null {
  return a === null && b === null ? null : (a ?? 0) + (b ?? 0);
}

/**
 * Consults an agent CLI in its read-only mode: a throwaway worktree of `commit` (never the person's
 * checkout or a run's worktree), execution `never` (the adapter maps it onto the CLI's plan mode or
 * read-only sandbox, and omk rejects every approval request that is not a read inside it), one turn.
 * The answer is the model's text; what the CLI printed on stderr is not part of it.
 */
export async function consultCli(o: {
  adapter: AgentAdapter;
  askId: string;
  root: string;
  commit: string;
  prompt: string;
  cwd: string;
  env: Env;
  agentBin?: string | undefined;
  agentArgs?: readonly string[] | undefined;
  model?: string | undefined;
  timeoutMs: number;
  signal: AbortSignal;
  onEvent?: ((e: AgentEvent) => void) | undefined;
}): Promise<CliAnswer> {
  return withThrowawayWorktree(o.root, "ask", o.commit, async (dir) => {
    let text = "";
    let usage: CliAnswer["usage"] = null;
    const stderr: string[] = [];
    const onEvent = (e: AgentEvent): void => {
      if (e.type === "text" && e.stderr === true) stderr.push(e.text);
      else if (e.type === "text" && text.length < MAX_ANSWER_CHARS)
        text += text === "" ? e.text : `\n${e.text}`;
      else if (e.type === "usage")
        usage = {
          inputTokens: add(usage?.inputTokens ?? null, e.inputTokens),
          outputTokens: add(usage?.outputTokens ?? null, e.outputTokens),
          costUsd: add(usage?.costUsd ?? null, e.costUsd),
        };
      o.onEvent?.(e);
    };
    const session = await o.adapter.start({
      worktree: dir,
      runId: o.askId,
      parentEnv: o.env,
      cwd: o.cwd,
      proc: new ProcessContext(),
      agentBin: o.agentBin,
      agentArgs: o.agentArgs,
      model: o.model,
      execution: "never",
      approve: (req) => decideApproval("never", req, dir, null),
      onEvent,
      signal: o.signal,
      timeoutMs: o.timeoutMs,
    });
    try {
      const turn = await session.prompt(o.prompt, 1);
      if (o.signal.aborted || turn.status === "cancelled")
        throw new OmkError("INTERRUPTED", `interrupted while ${o.adapter.name} was answering`);
      if (turn.status !== "finished") {
        const tail = stderr.slice(-3).join(" | ");
        throw new OmkError(
          "AGENT_FAILED",
          redactText(
            `${o.adapter.name} did not answer: ${turn.status}: ${turn.detail}${tail && !turn.detail.includes(tail) ? ` (stderr: ${tail.slice(0, 300)})` : ""}`,
          ),
          { hint: `check it with \`omk doctor\`; \`omk ask ${o.adapter.name} --help\` says how it is run` },
        );
      }
      return {
        text: text.length > MAX_ANSWER_CHARS ? `${text.slice(0, MAX_ANSWER_CHARS)}\n[answer cut]` : text,
        usage,
      };
    } finally {
      await session.close().catch(() => {});
      await killProcessesIn(dir).catch(() => {});
    }
  });
}
