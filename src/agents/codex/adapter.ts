import { OmkError } from "../../core/errors.js";
import { findExecutable } from "../../proc/executable.js";
import { cliBin, probeCli } from "../jsonl/probe.js";
import { JsonlCliSession } from "../jsonl/session.js";
import type { AgentAdapter, AgentSession, AgentStartContext, DetectContext, Learned } from "../types.js";
import { CODEX_PASS_THROUGH, CODEX_SECRETS, codexArgv } from "./contract.js";
import { CodexStreamParser } from "./stream.js";

type Env = Readonly<Record<string, string | undefined>>;

function secretsFrom(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CODEX_SECRETS) {
    const v = env[name];
    if (v !== undefined && v !== "") out[name] = v;
  }
  return out;
}

/** `codex login status`: "Logged in using …" (exit 0) or "Not logged in" (exit 1); anything else is unknown. */
export function codexAuth(output: string, exitCode: number | null): Learned<"ok" | "missing" | "unknown"> {
  const text = output.trim();
  if (/not logged in/i.test(text)) return { value: "missing", how: "it says not logged in" };
  if (exitCode === 0 && /logged in/i.test(text)) return { value: "ok", how: "it says logged in" };
  return { value: "unknown", how: "its answer names no login state" };
}

export function createCodexAdapter(): AgentAdapter {
  async function start(ctx: AgentStartContext): Promise<AgentSession> {
    if (ctx.signal?.aborted === true) throw new OmkError("INTERRUPTED", "Interrupted before codex started.");
    const { bin, source } = cliBin("codex", "CODEX_BIN", ctx.parentEnv, ctx.agentBin);
    const exe = findExecutable(bin, ctx.parentEnv["PATH"], ctx.cwd);
    if (exe === null) {
      throw new OmkError("AGENT_NOT_FOUND", `codex agent not found: ${bin} (from ${source})`, {
        hint: "Install Codex (npm install -g @openai/codex), or point --agent-bin at it.",
        details: { bin, source },
      });
    }
    const execution = ctx.execution ?? "auto";
    const session = new JsonlCliSession(
      {
        name: "codex",
        exe,
        argv: (prompt, resume) =>
          codexArgv(exe, {
            worktree: ctx.worktree,
            prompt,
            resume,
            execution,
            model: ctx.model,
            extra: ctx.agentArgs ?? [],
          }),
        parser: () => new CodexStreamParser(ctx.worktree),
        passThrough: CODEX_PASS_THROUGH,
        explicitEnv: secretsFrom(ctx.parentEnv),
        version: null,
      },
      ctx,
    );
    if (execution === "ask") {
      session.emit({
        type: "status",
        message: "--execution ask: `codex exec` cannot ask headless, so it runs in its read-only sandbox",
      });
    }
    return session;
  }

  async function detect(ctx: DetectContext) {
    return probeCli(
      {
        adapter: "codex",
        seam: "CODEX_BIN",
        passThrough: CODEX_PASS_THROUGH,
        explicitEnv: secretsFrom(ctx.parentEnv),
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
