import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
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
