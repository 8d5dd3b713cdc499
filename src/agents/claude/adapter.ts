import { OmkError } from "../../core/errors.js";
import { findExecutable } from "../../proc/executable.js";
import { cliBin, probeCli } from "../jsonl/probe.js";
import { JsonlCliSession } from "../jsonl/session.js";
import type { AgentAdapter, AgentSession, AgentStartContext, DetectContext } from "../types.js";
import { CLAUDE_PASS_THROUGH, CLAUDE_SECRETS, claudeArgv } from "./contract.js";
import { ClaudeStreamParser } from "./stream.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The contract's secrets that are set: passed explicitly, since the sanitizer drops them by name. */
function secretsFrom(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CLAUDE_SECRETS) {
    const v = env[name];
    if (v !== undefined && v !== "") out[name] = v;
  }
  return out;
}

/** `claude auth status` prints JSON with `loggedIn`; an API key in the contract counts as a credential too. */
export function claudeAuth(
  stdout: string,
  exitCode: number | null,
): { value: "ok" | "missing" | "unknown"; how: string } {
  try {
    const doc = JSON.parse(stdout) as { loggedIn?: unknown; authMethod?: unknown };
    if (doc.loggedIn === true)
      return { value: "ok", how: `loggedIn true (${String(doc.authMethod ?? "?")})` };
    if (doc.loggedIn === false) return { value: "missing", how: "loggedIn false" };
  } catch {
    // Not JSON: an older or newer CLI; the exit code alone does not prove a login.
  }
  return { value: "unknown", how: `no loggedIn field in its output (exit ${String(exitCode)})` };
}

export function createClaudeAdapter(): AgentAdapter {
  async function start(ctx: AgentStartContext): Promise<AgentSession> {
    if (ctx.signal?.aborted === true) throw new OmkError("INTERRUPTED", "Interrupted before claude started.");
    const { bin, source } = cliBin("claude", "CLAUDE_BIN", ctx.parentEnv, ctx.agentBin);
    const exe = findExecutable(bin, ctx.parentEnv["PATH"], ctx.cwd);
    if (exe === null) {
      throw new OmkError("AGENT_NOT_FOUND", `claude agent not found: ${bin} (from ${source})`, {
        hint: "Install Claude Code (npm install -g @anthropic-ai/claude-code), or point --agent-bin at it.",
        details: { bin, source },
      });
    }
    const execution = ctx.execution ?? "auto";
    const session = new JsonlCliSession(
      {
        name: "claude",
        exe,
        argv: (prompt, resume) =>
          claudeArgv(exe, { prompt, resume, execution, model: ctx.model, extra: ctx.agentArgs ?? [] }),
        parser: () => new ClaudeStreamParser(ctx.worktree),
        passThrough: CLAUDE_PASS_THROUGH,
        explicitEnv: secretsFrom(ctx.parentEnv),
        version: null,
      },
      ctx,
    );
    if (execution === "ask") {
      session.emit({
        type: "status",
        message:
          "--execution ask: Claude Code cannot ask headless without omk's permission-prompt tool (not built yet), so every tool call that would prompt is denied",
      });
    }
    return session;
  }

  async function detect(ctx: DetectContext) {
    const model = ctx.parentEnv["ANTHROPIC_MODEL"];
    return probeCli(
      {
        adapter: "claude",
        seam: "CLAUDE_BIN",
        passThrough: CLAUDE_PASS_THROUGH,
        explicitEnv: secretsFrom(ctx.parentEnv),
        authArgs: ["auth", "status"],
        auth: (res) => claudeAuth(res.stdout, res.exitCode),
        model:
          model !== undefined && model !== ""
            ? { value: model, how: "ANTHROPIC_MODEL" }
            : { value: null, how: "not set: Claude Code picks its default (or --model per run)" },
        quota: { value: null, how: "Claude Code has no offline quota check" },
      },
      ctx,
    );
  }

  return { name: "claude", detect, start };
}
