import { probeCli } from "../jsonl/probe.js";
import { secretsFrom, startJsonlCli } from "../jsonl/start.js";
import type { AgentAdapter, AgentSession, AgentStartContext, DetectContext, Learned } from "../types.js";
import { CODEX_PASS_THROUGH, CODEX_SECRETS, codexArgv } from "./contract.js";
import { CodexStreamParser } from "./stream.js";

/** `codex login status`: "Logged in using …" (exit 0) or "Not logged in" (exit 1); anything else is unknown. */
export function codexAuth(output: string, exitCode: number | null): Learned<"ok" | "missing" | "unknown"> {
  const text = output.trim();
  if (/not logged in/i.test(text)) return { value: "missing", how: "it says not logged in" };
  if (exitCode === 0 && /logged in/i.test(text)) return { value: "ok", how: "it says logged in" };
  return { value: "unknown", how: "its answer names no login state" };
}

export function createCodexAdapter(): AgentAdapter {
  async function start(ctx: AgentStartContext): Promise<AgentSession> {
    return startJsonlCli(ctx, {
      name: "codex",
      binEnv: "CODEX_BIN",
      install: "Codex (npm install -g @openai/codex)",
      argv: (exe, { resume, execution }) =>
        codexArgv(exe, {
          worktree: ctx.worktree,
          resume,
          execution,
          model: ctx.model,
          extra: ctx.agentArgs ?? [],
        }),
      parser: () => new CodexStreamParser(ctx.worktree),
      passThrough: CODEX_PASS_THROUGH,
      secrets: CODEX_SECRETS,
      askNote: "--execution ask: `codex exec` cannot ask headless, so it runs in its read-only sandbox",
    });
  }

  async function detect(ctx: DetectContext) {
    return probeCli(
      {
        adapter: "codex",
        seam: "CODEX_BIN",
        passThrough: CODEX_PASS_THROUGH,
        explicitEnv: secretsFrom(ctx.parentEnv, CODEX_SECRETS),
        authArgs: ["login", "status"],
        // codex prints its login state on stderr.
        auth: (res) => codexAuth(`${res.stdout}\n${res.stderr}`, res.exitCode),
        model: { value: null, how: "from $CODEX_HOME/config.toml (not read by omk) or --model per run" },
        quota: { value: null, how: "codex has no offline quota check" },
      },
      ctx,
    );
  }

  return { name: "codex", detect, start };
}
