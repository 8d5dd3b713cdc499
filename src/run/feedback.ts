import { failingGates } from "../gates/evidence.js";
import type { AttemptState } from "../journal/state.js";

/**
 * What the agent is told after a failed attempt. Built only from recorded (already redacted)
 * gate evidence, so feedback can be rebuilt identically after a resume.
 */
export function buildFeedback(task: string, attempt: AttemptState, maxAttempts: number): string {
  const failing = failingGates(attempt.gates);
  const lines = [
    `Attempt ${attempt.n} of ${maxAttempts} did not pass the project's gates.`,
    "",
    `Task: ${task}`,
    "",
  ];
  if (attempt.agent && attempt.agent.status !== "finished") {
    lines.push(`Your previous turn ended with ${attempt.agent.status}: ${attempt.agent.detail}`, "");
  }
  if (attempt.setupFailed !== null) {
    lines.push(`## Workspace setup failed on your change`, "", "```", attempt.setupFailed, "```", "");
  }
  for (const g of failing) {
    lines.push(
      `## Gate \`${g.name}\` ${g.status} (exit ${g.exitCode ?? "none"})`,
      `\`${g.argv.join(" ")}\``,
      "",
    );
    lines.push("```", g.tail.trimEnd().split("\n").slice(-60).join("\n"), "```", "");
  }
  lines.push("Fix the failures above in the working tree. Do not weaken or delete the tests.");
  return lines.join("\n");
}
