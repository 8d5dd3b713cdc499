import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ReadRunJournal } from "../journal/run-journal.js";
import { confinementByAttempt } from "../proof/intoto.js";
import { MAX_RECEIPT_BYTES, openReceipt } from "../proof/verify-receipt.js";
import { RECEIPT_FILE } from "../proof/write.js";
import { loadSigningKey } from "../store/keys.js";
import type { OmkDirs } from "../store/paths.js";

export type ReceiptTrust = { trusted: true; keyid: string } | { trusted: false; reason: string };

/**
 * Whether `land` may rest on the run's signed receipt instead of re-running the gates. Only when every
 * attempt ran confined (so the agent could reach neither the ledger nor the signing key), the
 * receipt's every envelope verifies with this machine's key, it names exactly `commit` and this run,
 * says the run was ready and confined, and vouches for this very ledger (the hash of its event at the
 * signed count is the signed head). Anything less: re-gate, saying why.
 */
export async function receiptTrust(o: {
  dirs: OmkDirs;
  runDir: string;
  read: ReadRunJournal;
  commit: string;
}): Promise<ReceiptTrust> {
  const no = (reason: string): ReceiptTrust => ({ trusted: false, reason });
  const s = o.read.state;
  if (s === null) return no("the ledger has no run");
  if (s.attempts.length === 0) return no("the run recorded no attempt");
  const unconfined = confinementByAttempt(s, o.read.events).find((a) => a.mode !== "bwrap");
  if (unconfined !== undefined)
    return no(`attempt ${unconfined.attempt} ran unconfined (${unconfined.reason ?? "sandbox off"})`);
  const key = await loadSigningKey(o.dirs).catch((e: unknown) => e as Error);
  if (key === null) return no("this machine has no receipt-signing key");
  if (key instanceof Error) return no(`the signing key cannot be used: ${key.message}`);
  const file = join(o.runDir, RECEIPT_FILE);
  const size = await stat(file).then(
    (st) => st.size,
    () => null,
  );
  if (size === null) return no(`the run has no ${RECEIPT_FILE}`);
  if (size > MAX_RECEIPT_BYTES) return no(`${RECEIPT_FILE} is too large to be a receipt`);
  const opened = openReceipt(await readFile(file, "utf8"), key.publicKey);
  if (!opened.ok) return no(`the receipt does not verify with this machine's key: ${opened.reason}`);
  const r = opened.receipt;
  if (r.commit !== o.commit)
    return no(`the receipt names commit ${r.commit.slice(0, 12)}, not ${o.commit.slice(0, 12)}`);
  if (r.runId !== s.runId) return no(`the receipt is of run ${r.runId}`);
  if (r.status !== "ready") return no(`the receipt says the run was ${r.status}`);
  if (!r.confinement.confined) return no("the receipt does not attest a confined run");
  const signedHead = o.read.raw[r.ledger.events - 1];
  if (signedHead?.hash !== r.ledger.headHash || signedHead.kind !== "ProofWritten")
    return no("the ledger is not the one the receipt vouches for");
  return { trusted: true, keyid: key.keyid };
}
