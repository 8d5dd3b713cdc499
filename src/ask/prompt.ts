/**
 * What every advisor is told. The answer goes to a person and into a record; nothing omk does with
 * it executes it, and the advisor runs read-only — the preamble says so, so the model does not waste
 * the turn trying to edit.
 */
export const ADVISOR_PREAMBLE = [
  "You are consulted by omk, read-only, about a git repository.",
  "Answer the question below for the person who asked it: be concrete, name files and lines where it helps.",
  "Do not modify files and do not run commands that change anything: you cannot, and your answer is shown to a person, never executed.",
].join("\n");

/** The user turn: the run's context (if any), then the question. */
export function questionMessage(question: string, context: string | null): string {
  return context === null ? `## Question\n${question}` : `${context}\n\n## Question\n${question}`;
}

/** A CLI agent gets one prompt: the preamble and the user turn together. */
export function cliPrompt(question: string, context: string | null): string {
  return `${ADVISOR_PREAMBLE}\n\n${questionMessage(question, context)}`;
}
