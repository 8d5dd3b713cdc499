import { redactValue } from "../security/redact.js";
import { Ledger } from "../store/ledger/index.js";

/** A run's ledger, always opened with the redactor: nothing secret is hashed or written. */
export function openRunLedger(dir: string, runId: string): Promise<Ledger> {
  return Ledger.open(dir, { runId, redact: redactValue });
}
