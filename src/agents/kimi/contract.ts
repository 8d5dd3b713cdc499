import type { AgentEnvContract } from "../types.js";

/** kimi's documented zero-config endpoint variables; not secret, so they pass the env allowlist. */
export const KIMI_PASS_THROUGH = ["KIMI_BASE_URL", "KIMI_MODEL_NAME"] as const;
/** Secret-like, so the sanitizer would drop it; it is part of kimi's contract, so it is passed explicitly. */
export const KIMI_API_KEY_VAR = "KIMI_API_KEY";

export const KIMI_ENV: AgentEnvContract = {
  passThrough: KIMI_PASS_THROUGH,
  secrets: [KIMI_API_KEY_VAR],
  provides: [],
};
