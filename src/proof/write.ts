import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { RunEvent } from "../run/events.js";
import type { RunLocation } from "../run/locate.js";
import { projectRun } from "../run/state.js";
import type { Ledger, LedgerEvent } from "../store/ledger/index.js";
import { writePrivateJson } from "../store/private-fs.js";
import { buildProof } from "./build.js";
import type { Proof } from "./schema.js";

/** Build proof.json from the ledger, write it privately, and chain its hash into the ledger. */
export async function writeProof(
  ledger: Ledger,
  events: LedgerEvent[],
  loc: RunLocation,
  omkVersion: string,
): Promise<Proof> {
  const proof = buildProof(projectRun(events), events, omkVersion);
  await writePrivateJson(loc.proofFile, proof);
  const sha256 = createHash("sha256")
    .update(await readFile(loc.proofFile))
    .digest("hex");
  const e = await ledger.append({
    kind: RunEvent.ProofWritten,
    data: { file: "proof.json", sha256, status: proof.status, headSeq: proof.ledger.headSeq },
  });
  events.push(e);
  return proof;
}
