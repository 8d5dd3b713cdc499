import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { ReadRunJournal } from "./run-journal.js";

/** What may follow a run's final event: only the record that it landed. */
const AFTER_FINAL = new Set(["Landed"]);

/**
 * Problems with a finished run's record that a hash chain alone does not catch: events appended after
 * the run's final event (the chain extends fine), a head record that lags its last line (tolerated
 * mid-run after a crash, never once the run is closed), and files in artifacts/ that no event names.
 * Empty when the run has not finished.
 */
export async function finishedRunProblems(dir: string, r: ReadRunJournal): Promise<string[]> {
  const problems: string[] = [];
  if (r.state?.finished == null) return problems;
  // The run ends at its first RunFinished, or at the proof written right after it.
  let finalIdx = r.events.findIndex((e) => e.kind === "RunFinished");
  if (r.events[finalIdx + 1]?.kind === "ProofWritten") finalIdx++;
  const after = r.events.slice(finalIdx + 1).filter((e) => !AFTER_FINAL.has(e.kind));
  // A kind this omk does not know cannot be judged here; the caller reports it on its own.
  for (const e of after) problems.push(`seq ${e.seq} ${e.kind} was appended after the run's final event`);
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
  for (const e of r.events) {
    if (e.kind === "DiffCaptured" && e.data.patchFile) named.add(e.data.patchFile);
    if (e.kind === "AttemptStarted" && e.data.feedbackFrom !== null)
      named.add(`artifacts/feedback-${e.data.attempt}.md`);
  }
  for (const name of await readdir(join(dir, "artifacts")).catch(() => [] as string[])) {
    if (!named.has(`artifacts/${name}`)) problems.push(`artifacts/${name} is not named by the ledger`);
  }
  return problems;
}
