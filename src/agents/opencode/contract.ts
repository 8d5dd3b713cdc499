import type { AgentEnvContract } from "../types.js";

/**
 * opencode's env contract. Its login lives under HOME (`~/.local/share/opencode/auth.json`); a custom
 * provider comes in its config (OPENCODE_CONFIG / OPENCODE_CONFIG_CONTENT, whose API keys should be
 * `{env:NAME}` references to the secrets below rather than literals).
 */
export const OPENCODE_PASS_THROUGH = [
  "OPENCODE_CONFIG",
  "OPENCODE_CONFIG_CONTENT",
  "OPENCODE_CONFIG_DIR",
  "OPENCODE_DISABLE_AUTOUPDATE",
] as const;

export const OPENCODE_SECRETS = ["OPENCODE_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"] as const;

/** Set by omk: the execution policy as opencode's own permission config. */
export const OPENCODE_PERMISSION_VAR = "OPENCODE_PERMISSION";

export const OPENCODE_ENV: AgentEnvContract = {
  passThrough: OPENCODE_PASS_THROUGH,
  secrets: OPENCODE_SECRETS,
  provides: [OPENCODE_PERMISSION_VAR],
};

export type Execution = "ask" | "auto" | "never";

/**
 * `--execution` onto opencode's permissions. `opencode run` auto-rejects whatever would ask, so `ask`
 * fails closed by asking; `never` removes the writing tools altogether.
 */
export function opencodePermission(execution: Execution): string {
  const value = execution === "auto" ? "allow" : execution === "never" ? "deny" : "ask";
  return JSON.stringify({ edit: value, bash: value, webfetch: value });
}

/** `opencode run` with no message argument takes the message from stdin. */
export function opencodeArgv(
  exe: string,
  opts: { resume: string | null; model?: string | undefined; extra: readonly string[] },
): string[] {
  return [
    exe,
    "run",
    "--format",
    "json",
    ...(opts.model !== undefined && opts.model !== "" ? ["--model", opts.model] : []),
    ...(opts.resume !== null ? ["--session", opts.resume] : []),
    ...opts.extra,
  ];
}
