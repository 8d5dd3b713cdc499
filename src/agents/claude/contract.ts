import type { AgentEnvContract } from "../types.js";

/**
 * Claude Code's env contract. Its login lives under HOME (`~/.claude`), which the allowlist passes;
 * an API key or an endpoint override is opt-in through these names only.
 */
export const CLAUDE_PASS_THROUGH = [
  "ANTHROPIC_BASE_URL",
  "ANTHROPIC_MODEL",
  "ANTHROPIC_SMALL_FAST_MODEL",
  "CLAUDE_CONFIG_DIR",
  "CLAUDE_CODE_USE_BEDROCK",
  "CLAUDE_CODE_USE_VERTEX",
  "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
] as const;

/** Secret-like, so the sanitizer drops them; Claude Code needs one of them when not logged in. */
export const CLAUDE_SECRETS = [
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "CLAUDE_CODE_OAUTH_TOKEN",
] as const;

export const CLAUDE_ENV: AgentEnvContract = {
  passThrough: CLAUDE_PASS_THROUGH,
  secrets: CLAUDE_SECRETS,
  provides: [],
};

export type Execution = "ask" | "auto" | "never";

/**
 * `--execution` onto Claude Code's own permission controls. Headless (`-p`) Claude Code denies
 * whatever would prompt; omk serves no permission-prompt MCP tool yet, so `ask` fails closed.
 */
export function claudePermissionArgs(execution: Execution): string[] {
  const writers = "Bash,Edit,Write,MultiEdit,NotebookEdit";
  if (execution === "auto") return ["--permission-mode", "acceptEdits", "--allowedTools", "Bash"];
  if (execution === "never") return ["--permission-mode", "plan", "--disallowedTools", writers];
  return ["--permission-mode", "default", "--permission-prompts", "none"];
}

/** `claude -p` with no prompt argument reads the prompt from stdin (where omk writes it). */
export function claudeArgv(
  exe: string,
  opts: {
    resume: string | null;
    execution: Execution;
    model?: string | undefined;
    extra: readonly string[];
  },
): string[] {
  return [
    exe,
    "-p",
    "--output-format",
    "stream-json",
    "--verbose",
    ...claudePermissionArgs(opts.execution),
    ...(opts.model !== undefined && opts.model !== "" ? ["--model", opts.model] : []),
    ...(opts.resume !== null ? ["--resume", opts.resume] : []),
    ...opts.extra,
  ];
}
