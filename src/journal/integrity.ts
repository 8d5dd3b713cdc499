import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { RunJournalEvent } from "./events.js";
import type { ReadRunJournal } from "./run-journal.js";

/**
 * Problems with a finished run's record that a hash chain alone does not catch: events appended after
 * the run's final event (the chain extends fine), a head record that lags its last line (tolerated
 * mid-run after a crash, never once the run is closed), and files in artifacts/ that no event names.
 * An unfinished run is checked only for a RunReopened that should not be there.
 */
export async function finishedRunProblems(dir: string, r: ReadRunJournal): Promise<string[]> {
  // Even for an unfinished run: a RunReopened that reopened what may not be reopened is what made it so.
  const problems = endingProblems(r.events);
  if (r.state?.finished == null) return problems;
  const last = r.raw.at(-1);
  if (
    last &&
    (r.head === null || r.head === undefined || r.head.seq !== last.seq || r.head.hash !== last.hash)
  ) {
    problems.push(
      `events.head (${r.head ? `seq ${r.head.seq}` : "missing or unreadable"}) does not match the last event (seq ${last.seq}) of a finished run`,
    );
  }
  const named = new Set<string>();
  /** The last AgentOutputSaved per output file: a restarted attempt rewrites its file. */
  const outputs = new Map<string, { sha256: string; bytes: number }>();
  for (const e of r.events) {
    if (e.kind === "DiffCaptured" && e.data.patchFile) named.add(e.data.patchFile);
    if (e.kind === "AttemptStarted" && e.data.feedbackFrom !== null)
      named.add(`artifacts/feedback-${e.data.attempt}.md`);
    // An attempt's output file is announced by its start (a crash may leave it unsaved).
    if (e.kind === "AttemptStarted") named.add(outputArtifact(e.data.attempt));
    if (e.kind === "AgentOutputSaved")
      outputs.set(e.data.file, { sha256: e.data.sha256, bytes: e.data.bytes });
  }
  for (const name of await readdir(join(dir, "artifacts")).catch(() => [] as string[])) {
    if (!named.has(`artifacts/${name}`)) problems.push(`artifacts/${name} is not named by the ledger`);
  }
  for (const [file, want] of outputs) {
    const got = await hashFile(join(dir, file)).catch(() => null);
    if (got === null) problems.push(`${file} is missing`);
    else if (got.sha256 !== want.sha256 || got.bytes !== want.bytes)
      problems.push(`${file} does not match the sha256 and size the ledger recorded`);
  }
  return problems;
}

/** Where attempt `n`'s agent output is saved, relative to the run dir. */
export function outputArtifact(n: number): string {
  return `artifacts/output-${n}.log`;
}

async function hashFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), bytes };
}

/**
 * A run ends at a RunFinished, optionally followed by the ProofWritten of its proof. After that only a
 * Landed may follow, or — for a not_ready run that has not landed — a RunReopened (`run resume
 * --max-attempts`), which starts the run again until its next ending; a blocked run reopens only to
 * have outside changes the person made accepted (`run resume --accept-outside-changes`). Anything else was appended
 * after the end, and a RunReopened anywhere else reopens what may not be reopened.
 */
function endingProblems(events: readonly RunJournalEvent[]): string[] {
  const problems: string[] = [];
  let ended: { status: string } | null = null;
  let landed = false;
  let prev: RunJournalEvent | undefined;
  for (const e of events) {
    const proofOfEnding = e.kind === "ProofWritten" && prev?.kind === "RunFinished";
    if (e.kind === "RunReopened") {
      if (ended === null) problems.push(`seq ${e.seq} RunReopened reopens a run that had not finished`);
      else if (landed) problems.push(`seq ${e.seq} RunReopened reopens a run that had landed`);
      else if (
        ended.status === "blocked" ? e.data.acceptedOutside === undefined : ended.status !== "not_ready"
      )
        problems.push(
          `seq ${e.seq} RunReopened reopens a ${ended.status} run (only not_ready runs reopen, and blocked ones whose outside changes were accepted)`,
        );
      ended = null;
    } else if (ended !== null && e.kind === "Landed") {
      landed = true;
    } else if (ended !== null && !proofOfEnding) {
      problems.push(`seq ${e.seq} ${e.kind} was appended after the run's final event`);
    } else if (e.kind === "RunFinished") {
      ended = { status: e.data.status };
    }
    prev = e;
  }
  return problems;
}
