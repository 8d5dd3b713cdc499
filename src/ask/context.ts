import { createHash } from "node:crypto";
import { isOmkError, OmkError } from "../core/errors.js";
import type { GateRecord } from "../journal/events.js";
import { readRunJournal } from "../journal/run-journal.js";
import { type ProjectLocation, resolveRunId } from "../project/locate.js";
import { runDiff } from "../run/diff.js";
import { redactText } from "../security/redact.js";

/**
 * What `omk ask --run <id>` tells the provider about a run: its task and verdict, the gate results of
 * its last judged attempt and its diff — each bounded, so a huge patch or log cannot blow up the
 * request (the cut is marked, and the record keeps the full diff's sha256).
 */

export const CONTEXT_LIMITS = {
  diffBytes: 48 * 1024,
  gateTailChars: 2000,
  gates: 20,
  taskChars: 4000,
} as const;

export interface RunContext {
  runId: string;
  /** The commit the run's change sits on (its commit, else its base): where a CLI advisor reads. */
  commit: string;
  text: string;
  diff: {
    source: "commit" | "attempt" | "none";
    bytes: number;
    sentBytes: number;
    sha256: string | null;
    files: number;
  };
  gates: { name: string; status: string }[];
}

/** The first `max` bytes of a UTF-8 text, not splitting a character. */
function headBytes(text: string, max: number): string {
  const buf = Buffer.from(text, "utf8");
  if (buf.length <= max) return text;
  return buf
    .subarray(0, max)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
}

function gateLines(gates: readonly GateRecord[]): string[] {
  const out: string[] = [];
  for (const g of gates.slice(0, CONTEXT_LIMITS.gates)) {
    const exit = g.exitCode === null ? (g.signal ?? "no exit code") : `exit ${g.exitCode}`;
    out.push(`- ${g.name}: ${g.status} (${exit}, ${g.durationMs} ms)${g.required ? "" : " [not required]"}`);
    for (const t of (g.failures?.tests ?? []).slice(0, 10))
      out.push(`  failed: ${t.name}${t.location ? ` at ${t.location}` : ""}: ${t.message.slice(0, 300)}`);
    const tail = g.tail.trim();
    if (tail !== "") {
      const last = tail.slice(-CONTEXT_LIMITS.gateTailChars);
      out.push("  output (tail):", "  ```", ...last.split("\n").map((l) => `  ${l}`), "  ```");
    }
  }
  if (gates.length > CONTEXT_LIMITS.gates) out.push(`- (${gates.length - CONTEXT_LIMITS.gates} more gates)`);
  return out;
}

export async function runContext(project: ProjectLocation, query: string): Promise<RunContext> {
  const loc = await resolveRunId(project, query);
  const read = await readRunJournal(loc.dir);
  const s = read.state;
  if (s === null) {
    throw new OmkError("LEDGER_CORRUPT", `run ${loc.runId} has an unreadable ledger`, {
      hint: `omk proof verify ${loc.runId}`,
    });
  }
  let diff: Awaited<ReturnType<typeof runDiff>> | null = null;
  try {
    diff = await runDiff(project, loc.runId);
  } catch (err) {
    // No commit: the last attempt's recorded patch, if any; none at all is still a context.
    if (!isOmkError(err) || err.code !== "USAGE") throw err;
    const last = s.attempts.findLast((a) => a.diff?.patchFile);
    if (last !== undefined) diff = await runDiff(project, loc.runId, { attempt: last.n });
  }
  const judged = s.attempts.findLast((a) => a.gates.length > 0);
  const status = s.finished
    ? `${s.finished.status}${s.finished.reasons.length ? ` (${s.finished.reasons.join("; ")})` : ""}`
    : "not finished";
  const lines = [
    `## Context: omk run ${s.runId}`,
    `Task given to the agent (${s.agent.name}):`,
    "```",
    s.task.length <= CONTEXT_LIMITS.taskChars ? s.task : `${s.task.slice(0, CONTEXT_LIMITS.taskChars)}…`,
    "```",
    `Verdict: ${status}; ${s.attempts.length} attempt(s).`,
    "",
    judged === undefined ? "### Gate results: none recorded" : `### Gate results (attempt ${judged.n})`,
    ...(judged === undefined ? [] : gateLines(judged.gates)),
    "",
  ];
  let sent = "";
  if (diff === null) lines.push("### Diff: none recorded");
  else {
    sent = headBytes(diff.patch, CONTEXT_LIMITS.diffBytes);
    const where = diff.source === "commit" ? "base..commit" : `attempt ${diff.attempt}'s patch`;
    lines.push(
      `### Diff (${where}: ${diff.files.length} file(s), +${diff.added} -${diff.deleted})`,
      "```diff",
      sent.trimEnd(),
      "```",
    );
    const total = Buffer.byteLength(diff.patch, "utf8");
    if (sent.length < diff.patch.length)
      lines.push(`[diff cut: the first ${Buffer.byteLength(sent, "utf8")} of ${total} bytes]`);
  }
  return {
    runId: s.runId,
    commit: s.committed?.commit ?? s.finished?.headCommit ?? s.base,
    text: redactText(lines.join("\n")),
    diff: {
      source: diff === null ? "none" : diff.source,
      bytes: diff === null ? 0 : Buffer.byteLength(diff.patch, "utf8"),
      sentBytes: Buffer.byteLength(sent, "utf8"),
      sha256: diff === null ? null : createHash("sha256").update(diff.patch).digest("hex"),
      files: diff?.files.length ?? 0,
    },
    gates: (judged?.gates ?? []).map((g) => ({ name: g.name, status: g.status })),
  };
}
