import { failingGates } from "../gates/evidence.js";
import { extractTestFailures, plainText, repoRelative } from "../gates/test-failures.js";
import type { GateRecord } from "../journal/events.js";
import type { AttemptState } from "../journal/state.js";

/**
 * What the agent is told after a failed attempt. Built only from recorded (already redacted) evidence
 * — the attempt's gate results and its DiffCaptured stat — so a resume rebuilds it identically. Every
 * part is cut to a fixed size, so feedback stays bounded whatever the gates printed.
 */

export interface FeedbackContext {
  maxAttempts: number;
  /** The repository root and the run's worktree: paths under them are shown relative to the root. */
  root: string;
  worktree: string;
}

/** Failing tests listed per gate; the rest are counted. */
const MAX_LISTED_TESTS = 10;
const TAIL_LINES = 60;
const TAIL_CHARS = 4096;
const MAX_DIFF_FILES = 30;
const MAX_DETAIL_CHARS = 2000;
/** Gate sections stop being added past this; one section is itself bounded (~20 KiB). */
const MAX_FEEDBACK_CHARS = 48 * 1024;

export const FEEDBACK_INSTRUCTION =
  "Fix the failures above in the working tree. Do not weaken or delete the tests.";

/** The prompt of a retry: the task, then the feedback. */
export function promptWithFeedback(task: string, feedback: string): string {
  return `${task}\n\n---\n\n${feedback}`;
}

export function buildFeedback(attempt: AttemptState, ctx: FeedbackContext): string {
  const clean = (text: string): string => repoRelative(plainText(text), [ctx.worktree, ctx.root]);
  const lines = [`Attempt ${attempt.n} of ${ctx.maxAttempts} did not pass the project's gates.`, ""];
  if (attempt.agent && attempt.agent.status !== "finished") {
    const detail = cutEnd(clean(attempt.agent.detail), MAX_DETAIL_CHARS);
    lines.push(`Your previous turn ended with ${attempt.agent.status}: ${detail}`, "");
  }
  lines.push(...diffStat(attempt));
  if (attempt.setupFailed !== null) {
    const detail = cutEnd(clean(attempt.setupFailed), MAX_DETAIL_CHARS);
    lines.push(`## Workspace setup failed on your change`, "", ...fenced(detail), "");
  }
  const failing = failingGates(attempt.gates);
  let size = lines.join("\n").length;
  const left: string[] = [];
  for (const g of failing) {
    if (size > MAX_FEEDBACK_CHARS) {
      left.push(g.name);
      continue;
    }
    const section = gateSection(g, clean);
    size += section.join("\n").length;
    lines.push(...section);
  }
  if (left.length > 0) lines.push(`(${left.length} more failing gates not shown: ${left.join(", ")})`, "");
  lines.push(FEEDBACK_INSTRUCTION);
  return lines.join("\n");
}

function gateSection(g: GateRecord, clean: (text: string) => string): string[] {
  const out = [
    `## Gate \`${g.name}\` ${g.status} (exit ${g.exitCode ?? "none"})`,
    `\`${g.argv.join(" ")}\``,
    "",
  ];
  const tail = clean(g.tail).trimEnd();
  // Recorded at the gate from a longer stretch of output than the tail; older ledgers lack it.
  const report = g.failures
    ? { format: g.failures.format, total: g.failures.total, failures: g.failures.tests }
    : extractTestFailures(tail);
  if (report !== null) {
    const n = report.total;
    out.push(`Failing tests (${n}, from its ${report.format} output):`, "");
    report.failures.slice(0, MAX_LISTED_TESTS).forEach((f, i) => {
      const name = clean(f.name);
      const location = f.location === null ? null : clean(f.location);
      const message = clean(f.message);
      out.push(`${i + 1}. ${name}${location === null ? "" : ` (${location})`}`);
      if (message !== "") out.push(...fenced(message).map((l) => (l === "" ? "" : `   ${l}`)));
    });
    if (n > MAX_LISTED_TESTS) out.push(`… and ${n - MAX_LISTED_TESTS} more failing tests`);
    out.push("", `Last lines of its output:`, "");
  }
  const kept = cutStart(tail.split("\n").slice(-TAIL_LINES).join("\n"), TAIL_CHARS);
  out.push(...fenced(kept), "");
  return out;
}

/** The previous attempt's change as DiffCaptured recorded it when it was judged. */
function diffStat(attempt: AttemptState): string[] {
  const d = attempt.diff;
  if (d === null) return [];
  if (d.files.length === 0) return [`Your change in attempt ${attempt.n}: no files changed.`, ""];
  const count = d.files.length === 1 ? "1 file" : `${d.files.length} files`;
  const out = [`## Your change in attempt ${attempt.n}: ${count} changed, +${d.added} -${d.deleted}`, ""];
  for (const f of d.files.slice(0, MAX_DIFF_FILES)) {
    const lines = f.added === null || f.deleted === null ? "binary" : `+${f.added} -${f.deleted}`;
    out.push(`- ${f.status} ${f.path} (${lines})`);
  }
  if (d.files.length > MAX_DIFF_FILES) out.push(`- … and ${d.files.length - MAX_DIFF_FILES} more files`);
  out.push("");
  return out;
}

/** A fenced block that no backtick run inside the text can close early. */
function fenced(text: string): string[] {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return [fence, ...text.split("\n"), fence];
}

function cutEnd(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (cut)`;
}

function cutStart(text: string, max: number): string {
  if (text.length <= max) return text;
  const kept = text.slice(-max);
  const nl = kept.indexOf("\n");
  return `…\n${nl >= 0 ? kept.slice(nl + 1) : kept}`;
}
