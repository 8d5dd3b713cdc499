/**
 * Receipts in tests: decoding proof.intoto.json, re-signing it (a forger with some key), and recording
 * a run as confined the way a sandboxed omk would: a test whose gates must write outside the sandbox
 * (to count their runs) runs unconfined, rewrites the run's ledger and re-finalizes it through omk's
 * own writers — the path a real confined run takes from RunFinished on. receipts-land.test.ts also
 * lands a really confined run.
 */
import { type KeyObject, sign } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VERSION } from "../../src/core/version.js";
import { RunJournal } from "../../src/journal/run-journal.js";
import { runLocation } from "../../src/project/locate.js";
import { openProject } from "../../src/project/open.js";
import { preAuthEncoding } from "../../src/proof/dsse.js";
import { writeProof } from "../../src/proof/write.js";
import { ensureReceipt } from "../../src/run/receipt.js";
import {
  chainEvents,
  EVENTS_FILE,
  encodeEvents,
  GENESIS_HASH,
  HEAD_FILE,
  type LedgerEvent,
  serializeHead,
} from "../../src/store/ledger/format.js";
import type { Project } from "./project.js";

export const RECEIPT = "proof.intoto.json";

export interface EnvelopeJson {
  payloadType: string;
  payload: string;
  signatures: { keyid?: string; sig: string }[];
}

export interface StatementJson {
  _type: string;
  subject: { name: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate: Record<string, unknown> & {
    buildDefinition?: Record<string, unknown>;
    runDetails?: { byproducts: { name: string; annotations?: Record<string, unknown> }[] };
  };
}

export function envelopes(file: string): EnvelopeJson[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as EnvelopeJson);
}

export function statements(file: string): StatementJson[] {
  return envelopes(file).map((e) => JSON.parse(Buffer.from(e.payload, "base64").toString("utf8")));
}

/** Rewrites the receipt with every statement passed through `edit` and signed by `key`. */
export function resign(
  file: string,
  key: KeyObject,
  edit: (s: StatementJson) => StatementJson = (s) => s,
): void {
  const lines = statements(file).map((s) => {
    const payload = Buffer.from(JSON.stringify(edit(s)), "utf8");
    const sig = sign(null, preAuthEncoding("application/vnd.in-toto+json", payload), key);
    return JSON.stringify({
      payloadType: "application/vnd.in-toto+json",
      payload: payload.toString("base64"),
      signatures: [{ keyid: "forged", sig: sig.toString("base64") }],
    });
  });
  writeFileSync(file, `${lines.join("\n")}\n`);
}

/**
 * Records every attempt of a finished run as confined (`Confinement` after its AttemptStarted), then
 * writes its proof and receipt again with omk's writers, as a sandboxed run would have.
 */
export async function recordConfined(
  p: Project,
  runId: string,
  mode: "bwrap" | "none" = "bwrap",
): Promise<void> {
  const dir = p.runDir(runId);
  const old = readFileSync(join(dir, EVENTS_FILE), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LedgerEvent);
  const fields = old
    // A real run already recorded how each turn was confined (unconfined, in these tests): replaced.
    .filter((e) => e.kind !== "ProofWritten" && e.kind !== "Confinement")
    .flatMap((e) => {
      const f = { id: e.id, ts: e.ts, run: e.run, kind: e.kind, actor: e.actor, data: e.data };
      if (e.kind !== "AttemptStarted") return [f];
      const attempt = e.data.attempt as number;
      const data = { attempt, mode, requested: "required", network: "none" };
      return [f, { ...f, id: `${e.id}-confinement`, kind: "Confinement", data }];
    });
  const chained = chainEvents({ seq: 0, hash: GENESIS_HASH }, fields);
  const text = encodeEvents(chained);
  writeFileSync(join(dir, EVENTS_FILE), text);
  const last = chained.at(-1)!;
  writeFileSync(
    join(dir, HEAD_FILE),
    serializeHead({ seq: last.seq, hash: last.hash, size: Buffer.byteLength(text) }),
  );
  for (const f of ["proof.json", RECEIPT, "summary.json"]) rmSync(join(dir, f), { force: true });
  const project = await openProject(p.repo.root, { ...process.env, ...p.sb.env });
  const loc = runLocation(project, runId);
  const journal = await RunJournal.open(loc.dir, runId);
  try {
    await writeProof(journal, loc.proofFile, VERSION);
    await ensureReceipt(journal, project, loc);
  } finally {
    await journal.close();
  }
}
