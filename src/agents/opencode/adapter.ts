import { probeCli } from "../jsonl/probe.js";
import { secretsFrom, startJsonlCli } from "../jsonl/start.js";
import type { AgentAdapter, AgentSession, AgentStartContext, DetectContext, Learned } from "../types.js";
import {
  OPENCODE_PASS_THROUGH,
  OPENCODE_PERMISSION_VAR,
  OPENCODE_SECRETS,
  opencodeArgv,
  opencodePermission,
} from "./contract.js";
import { OpencodeStreamParser } from "./stream.js";

/** `opencode auth list`: "N credentials" (its auth.json) and "N environment variable(s)" it would use. */
export function opencodeAuth(output: string): Learned<"ok" | "missing" | "unknown"> {
  const text = output.replace(/\u001b\[[0-9;]*m/g, "");
  const creds = /(\d+)\s+credentials?/.exec(text);
  const envs = /(\d+)\s+environment variables?/.exec(text);
  if (creds === null) return { value: "unknown", how: "its output names no credential count" };
  const n = Number(creds[1]) + Number(envs?.[1] ?? 0);
  return n > 0
    ? { value: "ok", how: `${creds[1]} stored credential(s), ${envs?.[1] ?? 0} from the environment` }
    : { value: "missing", how: "0 credentials, none from the environment" };
}

export function createOpencodeAdapter(): AgentAdapter {
  async function start(ctx: AgentStartContext): Promise<AgentSession> {
    return startJsonlCli(ctx, {
      name: "opencode",
      binEnv: "OPENCODE_BIN",
      install: "opencode (npm install -g opencode-ai)",
      argv: (exe, { resume }) => opencodeArgv(exe, { resume, model: ctx.model, extra: ctx.agentArgs ?? [] }),
      parser: () => new OpencodeStreamParser(ctx.worktree),
      passThrough: OPENCODE_PASS_THROUGH,
      secrets: OPENCODE_SECRETS,
      env: (execution) => ({ [OPENCODE_PERMISSION_VAR]: opencodePermission(execution) }),
      askNote:
        "--execution ask: `opencode run` cannot ask headless, so it rejects every edit, shell and fetch",
    });
  }

  async function detect(ctx: DetectContext) {
    return probeCli(
      {
        adapter: "opencode",
        seam: "OPENCODE_BIN",
        passThrough: OPENCODE_PASS_THROUGH,
        explicitEnv: secretsFrom(ctx.parentEnv, OPENCODE_SECRETS),
        authArgs: ["auth", "list"],
        auth: (res) => opencodeAuth(`${res.stdout}\n${res.stderr}`),
        model: {
          value: null,
          how: "from opencode's config (not read by omk) or --model provider/model per run",
        },
        quota: { value: null, how: "opencode has no offline quota check" },
      },
      ctx,
    );
  }

  return { name: "opencode", detect, start };
}
