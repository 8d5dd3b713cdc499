import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ReadRunJournal } from "../journal/run-journal.js";
import { loadSigningKey } from "../store/keys.js";
import type { OmkDirs } from "../store/paths.js";
import { confinementByAttempt } from "./intoto.js";
import type { Proof } from "./schema.js";
import { MAX_RECEIPT_BYTES, openReceipt } from "./verify-receipt.js";
import { RECEIPT_FILE } from "./write.js";

/**
 * `proof verify <run>`'s look at the run's receipt: signed by this machine's key, and saying what the
 * ledger and proof.json say (commit, tree, run, status, confinement, the ledger head it vouches for).
 */
export async function receiptCheck(
  dirs: OmkDirs,
  runDir: string,
  journal: ReadRunJournal,
  proof: Proof,
): Promise<{ name: "receipt"; ok: boolean; detail: string }> {
  const fail = (detail: string) => ({ name: "receipt" as const, ok: false, detail });
  const file = join(runDir, RECEIPT_FILE);
  const size = await stat(file).then(
    (st) => st.size,
    () => null,
  );
  if (size === null) return fail(`the run has a commit but no ${RECEIPT_FILE}`);
  if (size > MAX_RECEIPT_BYTES) return fail(`${RECEIPT_FILE} is too large to be a receipt`);
  const key = await loadSigningKey(dirs).catch((e: unknown) => e as Error);
  if (key === null)
    return fail("this machine has no signing key to check it with (omk proof verify --bundle --key)");
  if (key instanceof Error) return fail(key.message);
  const opened = openReceipt(await readFile(file, "utf8"), key.publicKey);
  if (!opened.ok) return fail(`${opened.reason} (key ${key.fingerprint})`);
  const r = opened.receipt;
  const problems: string[] = [];
  if (r.commit !== proof.headCommit || r.tree !== proof.tree)
    problems.push("it names another commit or tree");
  if (r.runId !== proof.runId) problems.push(`it is of run ${r.runId}`);
  if (r.status !== proof.status) problems.push(`it says ${r.status}`);
  const signedHead = journal.raw[r.ledger.events - 1];
  if (signedHead?.hash !== r.ledger.headHash || signedHead.kind !== "ProofWritten")
    problems.push("it vouches for another ledger");
  const recorded = journal.state
    ? confinementByAttempt(journal.state, journal.events).map((a) => a.mode)
    : [];
  if (JSON.stringify(recorded) !== JSON.stringify(r.confinement.attempts.map((a) => a.mode)))
    problems.push("its confinement differs from the ledger's");
  if (problems.length > 0) return fail(problems.join("; "));
  return {
    name: "receipt",
    ok: true,
    detail: `${r.statements.length} statement(s) signed by key ${key.fingerprint}, ${r.confinement.confined ? "confined" : "unconfined"} run`,
  };
}
