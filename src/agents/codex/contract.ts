import type { AgentEnvContract } from "../types.js";

/**
 * Codex's env contract. Its login and config live in CODEX_HOME (default `~/.codex`, under HOME,
 * which the allowlist passes); a custom model provider is configured there, not through env.
 */
export const CODEX_PASS_THROUGH = ["CODEX_HOME"] as const;

/** Secret-like, so the sanitizer drops them; `codex exec` authenticates with one when not logged in. */
export const CODEX_SECRETS = ["CODEX_API_KEY", "OPENAI_API_KEY"] as const;

export const CODEX_ENV: AgentEnvContract = {
  passThrough: CODEX_PASS_THROUGH,
  secrets: CODEX_SECRETS,
  provides: [],
};

export type Execution = "ask" | "auto" | "never";

/**
 * `--execution` onto Codex's own sandbox. `codex exec` never asks (its approval policy is `never`
 * headless), so `ask` fails closed: read-only, like `never`.
 */
export function codexSandbox(execution: Execution): "workspace-write" | "read-only" {
  return execution === "auto" ? "workspace-write" : "read-only";
}

/** The prompt argument `-` makes `codex exec` (and `exec resume`) read the prompt from stdin. */
export function codexArgv(
  exe: string,
  opts: {
    worktree: string;
    resume: string | null;
    execution: Execution;
    model?: string | undefined;
    extra: readonly string[];
  },
): string[] {
  const common = [
    "--json",
    "--skip-git-repo-check",
    "-c",
    `sandbox_mode="${codexSandbox(opts.execution)}"`,
    "-c",
    'approval_policy="never"',
    ...(opts.model !== undefined && opts.model !== "" ? ["-m", opts.model] : []),
    ...opts.extra,
  ];
  // `exec resume` takes no -C: the spawn's cwd is the worktree either way.
  if (opts.resume !== null) return [exe, "exec", "resume", ...common, "--", opts.resume, "-"];
  return [exe, "exec", "-C", opts.worktree, ...common, "--", "-"];
}
