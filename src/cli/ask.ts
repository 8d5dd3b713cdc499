import { createInterface } from "node:readline/promises";
import type { ApprovalRequest } from "../agents/types.js";
import type { AskFn } from "../policy/approval.js";
import { redactText } from "../security/redact.js";

/** `--execution ask`: a y/N question on the terminal; null without one, so the policy fails closed. */
export function terminalAsk(): AskFn | null {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return null;
  return async (req: ApprovalRequest) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const what = redactText(
        `${req.tool}: ${req.description || req.action}${req.paths.length ? ` (${req.paths.join(", ")})` : ""}`,
      );
      const answer = await rl.question(`\nagent wants to ${what}\nallow? [y/N] `);
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
    }
  };
}
