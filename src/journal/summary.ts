import { journalProblem, readRunJournal } from "./run-journal.js";
import { ledgerStamp, type RunSummaryRecord, readCachedSummary, writeRunSummary } from "./summary-file.js";

export { type RunSummaryRecord, readCachedSummarySync } from "./summary-file.js";

/**
 * The run's summary: summary.json when it was built from the ledger exactly as it is, otherwise
 * rebuilt by replaying the ledger (and written back, best effort). Throws only when the ledger
 * itself cannot be read.
 */
export async function readRunSummary(dir: string): Promise<RunSummaryRecord> {
  // Stamped before the ledger is read: a write in between makes the stamp stale, never the summary.
  const stamp = await ledgerStamp(dir);
  const cached = stamp === null ? null : await readCachedSummary(dir, stamp);
  if (cached !== null) return cached;
  const read = await readRunJournal(dir);
  const problem = journalProblem(read);
  await writeRunSummary(dir, read.state, read.verify.ok, problem, stamp).catch(() => {});
  return { state: read.state, ledgerOk: read.verify.ok, problem, cached: false };
}
