import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { TypedEvent } from "../journal/events.js";
import type { RunJournal } from "../journal/run-journal.js";
import type { SigningKey } from "../store/keys.js";
import { writePrivateFile, writePrivateJson } from "../store/private-fs.js";
import { buildProof } from "./build.js";
import { INTOTO_PAYLOAD_TYPE, signEnvelope } from "./dsse.js";
import { buildStatements, type ReceiptInputs, subjectOf } from "./intoto.js";
import type { Proof } from "./schema.js";

/** The signed receipt beside proof.json: DSSE envelopes, one per line (see docs/proofs.md). */
export const RECEIPT_FILE = "proof.intoto.json";

/** Build proof.json from the journal, write it privately, and chain its hash into the ledger. */
export async function writeProof(journal: RunJournal, proofFile: string, omkVersion: string): Promise<Proof> {
  const proof = buildProof(journal.state, journal.events, omkVersion);
  await writePrivateJson(proofFile, proof);
  const sha256 = createHash("sha256")
    .update(await readFile(proofFile))
    .digest("hex");
  await journal.append("ProofWritten", {
    file: "proof.json",
    sha256,
    status: proof.status,
    headSeq: proof.ledger.headSeq,
  });
  return proof;
}

/**
 * Signs the run's in-toto statements and writes them as `proof.intoto.json` in the run dir: one DSSE
 * envelope per line, the provenance first. The receipt vouches for the ledger up to ProofWritten
 * (whose hash chains proof.json), so it is written after the proof and recorded nowhere else; a run
 * without a commit has nothing to attest and gets none. Returns the file, or null when there is none.
 */
export async function writeReceipt(
  journal: RunJournal,
  runDir: string,
  key: SigningKey,
  inputs: ReceiptInputs,
): Promise<string | null> {
  const s = journal.state;
  const written = journal.events.findLast((e): e is TypedEvent<"ProofWritten"> => e.kind === "ProofWritten");
  if (written === undefined || subjectOf(s) === null) return null;
  const lines = buildStatements(s, journal.events, written, inputs).map((st) =>
    JSON.stringify(signEnvelope(INTOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(st), "utf8"), key)),
  );
  const file = join(runDir, RECEIPT_FILE);
  await writePrivateFile(file, `${lines.join("\n")}\n`);
  return file;
}
