import { probeCli } from "../jsonl/probe.js";
import { secretsFrom, startJsonlCli } from "../jsonl/start.js";
import type { AgentAdapter, AgentSession, AgentStartContext, DetectContext } from "../types.js";
import { CLAUDE_PASS_THROUGH, CLAUDE_SECRETS, claudeArgv } from "./contract.js";
import { ClaudeStreamParser } from "./stream.js";

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
    return startJsonlCli(ctx, {
      name: "claude",
      binEnv: "CLAUDE_BIN",
      install: "Claude Code (npm install -g @anthropic-ai/claude-code)",
      argv: (exe, { resume, execution }) =>
        claudeArgv(exe, { resume, execution, model: ctx.model, extra: ctx.agentArgs ?? [] }),
      parser: () => new ClaudeStreamParser(ctx.worktree),
      passThrough: CLAUDE_PASS_THROUGH,
      secrets: CLAUDE_SECRETS,
      askNote:
        "--execution ask: Claude Code cannot ask headless without omk's permission-prompt tool (not built yet), so every tool call that would prompt is denied",
    });
  }

  async function detect(ctx: DetectContext) {
    const model = ctx.parentEnv["ANTHROPIC_MODEL"];
    return probeCli(
      {
        adapter: "claude",
        seam: "CLAUDE_BIN",
        passThrough: CLAUDE_PASS_THROUGH,
        explicitEnv: secretsFrom(ctx.parentEnv, CLAUDE_SECRETS),
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
