import { OmkError } from "../../core/errors.js";
import { findExecutable } from "../../proc/executable.js";
import { cliBin, probeCli } from "../jsonl/probe.js";
import { JsonlCliSession } from "../jsonl/session.js";
import type { AgentAdapter, AgentHealth, AgentSession, AgentStartContext, DetectContext } from "../types.js";
import { GEMINI_PASS_THROUGH, GEMINI_SECRETS, geminiArgv } from "./contract.js";
import { GeminiStreamParser } from "./stream.js";

type Env = Readonly<Record<string, string | undefined>>;

function secretsFrom(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of GEMINI_SECRETS) {
    const v = env[name];
    if (v !== undefined && v !== "") out[name] = v;
  }
  return out;
}

export function createGeminiAdapter(): AgentAdapter {
  async function start(ctx: AgentStartContext): Promise<AgentSession> {
    if (ctx.signal?.aborted === true) throw new OmkError("INTERRUPTED", "Interrupted before gemini started.");
    const { bin, source } = cliBin("gemini", "GEMINI_BIN", ctx.parentEnv, ctx.agentBin);
    const exe = findExecutable(bin, ctx.parentEnv["PATH"], ctx.cwd);
    if (exe === null) {
      throw new OmkError("AGENT_NOT_FOUND", `gemini agent not found: ${bin} (from ${source})`, {
        hint: "Install Gemini CLI (npm install -g @google/gemini-cli), or point --agent-bin at it.",
        details: { bin, source },
      });
    }
    const execution = ctx.execution ?? "auto";
    const session = new JsonlCliSession(
      {
        name: "gemini",
        exe,
        argv: (prompt, resume) =>
          geminiArgv(exe, { prompt, resume, execution, model: ctx.model, extra: ctx.agentArgs ?? [] }),
        parser: () => new GeminiStreamParser(ctx.worktree),
        passThrough: GEMINI_PASS_THROUGH,
        explicitEnv: secretsFrom(ctx.parentEnv),
        version: null,
      },
      ctx,
    );
    if (execution === "ask") {
      session.emit({
        type: "status",
        message:
          "--execution ask: Gemini CLI cannot ask headless, so tools that need approval are not offered",
      });
    }
    return session;
  }

  async function detect(ctx: DetectContext): Promise<AgentHealth> {
    const model = ctx.parentEnv["GEMINI_MODEL"];
    const keySet = GEMINI_SECRETS.filter((n) => (ctx.parentEnv[n] ?? "") !== "");
    const health = await probeCli(
      {
        adapter: "gemini",
        seam: "GEMINI_BIN",
        passThrough: GEMINI_PASS_THROUGH,
        explicitEnv: secretsFrom(ctx.parentEnv),
        authArgs: null,
        auth: () => ({ value: "unknown", how: "" }),
        model:
          model !== undefined && model !== ""
            ? { value: model, how: "GEMINI_MODEL" }
            : { value: null, how: "not set: Gemini CLI picks its default (or --model per run)" },
        quota: { value: null, how: "Gemini CLI has no offline quota check" },
      },
      ctx,
    );
    return {
      ...health,
      auth: {
        value: "unknown",
        how: `not probed: Gemini CLI has no auth status command (${keySet.length > 0 ? `${keySet.join(", ")} set` : "no GEMINI_API_KEY or GOOGLE_API_KEY set"}; a login in ~/.gemini is not read)`,
      },
    };
  }

  return { name: "gemini", detect, start };
}
