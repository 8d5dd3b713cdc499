import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { RunJournal } from "../journal/run-journal.js";
import { writePrivateJson } from "../store/private-fs.js";
import { buildProof } from "./build.js";
import type { Proof } from "./schema.js";

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
