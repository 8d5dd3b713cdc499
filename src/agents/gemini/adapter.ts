import { probeCli } from "../jsonl/probe.js";
import { secretsFrom, startJsonlCli } from "../jsonl/start.js";
import type { AgentAdapter, AgentHealth, AgentSession, AgentStartContext, DetectContext } from "../types.js";
import { GEMINI_PASS_THROUGH, GEMINI_SECRETS, geminiArgv } from "./contract.js";
import { GeminiStreamParser } from "./stream.js";

export function createGeminiAdapter(): AgentAdapter {
  async function start(ctx: AgentStartContext): Promise<AgentSession> {
    return startJsonlCli(ctx, {
      name: "gemini",
      binEnv: "GEMINI_BIN",
      install: "Gemini CLI (npm install -g @google/gemini-cli)",
      argv: (exe, { resume, execution }) =>
        geminiArgv(exe, { resume, execution, model: ctx.model, extra: ctx.agentArgs ?? [] }),
      parser: () => new GeminiStreamParser(ctx.worktree),
      // Gemini CLI's readStdin stops at 8 MiB and goes on with what it read.
      maxPromptBytes: 8 * 1024 * 1024,
      passThrough: GEMINI_PASS_THROUGH,
      secrets: GEMINI_SECRETS,
      askNote: "--execution ask: Gemini CLI cannot ask headless, so tools that need approval are not offered",
    });
  }

  async function detect(ctx: DetectContext): Promise<AgentHealth> {
    const model = ctx.parentEnv["GEMINI_MODEL"];
    const keySet = GEMINI_SECRETS.filter((n) => (ctx.parentEnv[n] ?? "") !== "");
    const health = await probeCli(
      {
        adapter: "gemini",
        seam: "GEMINI_BIN",
        passThrough: GEMINI_PASS_THROUGH,
        explicitEnv: secretsFrom(ctx.parentEnv, GEMINI_SECRETS),
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
