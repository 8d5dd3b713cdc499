import type { AgentEnvContract } from "../types.js";

/** Gemini CLI's env contract. Its login and settings live in `~/.gemini` (HOME passes the allowlist). */
export const GEMINI_PASS_THROUGH = [
  "GOOGLE_GEMINI_BASE_URL",
  "GEMINI_MODEL",
  "GOOGLE_CLOUD_PROJECT",
  "GOOGLE_CLOUD_LOCATION",
  "GOOGLE_GENAI_USE_VERTEXAI",
] as const;

/** Secret-like, so the sanitizer drops them; passed explicitly when set. */
export const GEMINI_SECRETS = ["GEMINI_API_KEY", "GOOGLE_API_KEY"] as const;

export const GEMINI_ENV: AgentEnvContract = {
  passThrough: GEMINI_PASS_THROUGH,
  secrets: GEMINI_SECRETS,
  provides: [],
};

export type Execution = "ask" | "auto" | "never";

/**
 * `--execution` onto Gemini CLI's approval modes. Headless, a tool that needs approval is not even
 * offered to the model, so `default` is how `ask` fails closed.
 */
export function geminiApprovalMode(execution: Execution): "yolo" | "plan" | "default" {
  return execution === "auto" ? "yolo" : execution === "never" ? "plan" : "default";
}

/** Without a terminal on stdin gemini runs headless and takes the prompt from stdin. */
export function geminiArgv(
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
    "--output-format",
    "stream-json",
    "--approval-mode",
    geminiApprovalMode(opts.execution),
    // omk made the worktree; without this an untrusted folder exits 55 headless.
    "--skip-trust",
    ...(opts.model !== undefined && opts.model !== "" ? ["--model", opts.model] : []),
    ...(opts.resume !== null ? ["--resume", opts.resume] : []),
    ...opts.extra,
  ];
}
