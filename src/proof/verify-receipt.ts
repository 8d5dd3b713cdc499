import { createHash, type KeyObject } from "node:crypto";
import { blobsAt } from "../git/export.js";
import { parentsOf, treeOf } from "../git/snapshot.js";
import { EnvelopeSchema, INTOTO_PAYLOAD_TYPE, openEnvelope } from "./dsse.js";
import {
  type AttemptConfinement,
  ConfinementAnnotations,
  GATES_FILE,
  LedgerAnnotations,
  ProofAnnotations,
  ProvenanceSchema,
  SLSA_PROVENANCE_V1,
  type Statement,
  StatementSchema,
  TEST_RESULT_V01,
} from "./intoto.js";

/** A receipt is a handful of lines; anything near this is not one omk wrote. */
export const MAX_RECEIPT_BYTES = 16 * 1024 * 1024;

/** What a receipt whose every envelope verifies says, in the terms land and verification need. */
export interface OpenedReceipt {
  statements: Statement[];
  runId: string;
  commit: string;
  tree: string;
  base: string;
  gatesDigest: { sha256: string; gitBlob: string } | null;
  ledger: { headHash: string; events: number };
  status: string;
  confinement: { confined: boolean; attempts: AttemptConfinement[] };
  /** Test Result statements: gate name → result. */
  gates: { name: string; result: string }[];
}

export type ReceiptOpen =
  | { ok: true; receipt: OpenedReceipt }
  | { ok: false; check: "signature" | "statements"; reason: string };

/**
 * Every line of the file must be a DSSE envelope of an in-toto statement signed by `publicKey`; the
 * first must be omk's SLSA provenance and the rest Test Results, all about the same subject. Only then
 * is anything in it read.
 */
export function openReceipt(text: string, publicKey: KeyObject): ReceiptOpen {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) return { ok: false, check: "signature", reason: "the file holds no envelope" };
  const statements: Statement[] = [];
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return { ok: false, check: "signature", reason: `${where} is not JSON` };
    }
    const env = EnvelopeSchema.safeParse(raw);
    if (!env.success) return { ok: false, check: "signature", reason: `${where} is not a DSSE envelope` };
    if (env.data.payloadType !== INTOTO_PAYLOAD_TYPE)
      return { ok: false, check: "signature", reason: `${where}: payloadType is not ${INTOTO_PAYLOAD_TYPE}` };
    const opened = openEnvelope(env.data, publicKey);
    if (!opened.ok) return { ok: false, check: "signature", reason: `${where}: ${opened.reason}` };
    let st: unknown;
    try {
      st = JSON.parse(opened.payload.toString("utf8"));
    } catch {
      return { ok: false, check: "statements", reason: `${where}: the signed payload is not JSON` };
    }
    const parsed = StatementSchema.safeParse(st);
    if (!parsed.success)
      return { ok: false, check: "statements", reason: `${where}: not an in-toto Statement v1` };
    statements.push(parsed.data);
  }
  return interpret(statements);
}

function interpret(statements: Statement[]): ReceiptOpen {
  const bad = (reason: string): ReceiptOpen => ({ ok: false, check: "statements", reason });
  const [first, ...rest] = statements;
  if (first?.predicateType !== SLSA_PROVENANCE_V1)
    return bad("the first statement is not SLSA provenance v1");
  const prov = ProvenanceSchema.safeParse(first.predicate);
  if (!prov.success) return bad("the provenance is not one omk wrote (buildType or fields differ)");
  const subject = JSON.stringify(first.subject);
  if (rest.some((s) => s.predicateType !== TEST_RESULT_V01))
    return bad("a statement after the first is not a Test Result");
  if (rest.some((s) => JSON.stringify(s.subject) !== subject))
    return bad("the statements do not share one subject");
  const commit = first.subject.find((s) => s.digest.gitCommit !== undefined)?.digest.gitCommit;
  const tree = first.subject.find((s) => s.digest.gitTree !== undefined)?.digest.gitTree;
  if (commit === undefined || tree === undefined) return bad("the subject names no gitCommit and gitTree");
  const p = prov.data;
  const base = p.buildDefinition.resolvedDependencies.find((d) => d.name === "base")?.digest?.gitCommit;
  const byName = (n: string) => p.runDetails.byproducts.find((b) => b.name === n);
  const ledger = LedgerAnnotations.safeParse(byName("ledger")?.annotations);
  const headHash = byName("ledger")?.digest?.sha256;
  const proof = ProofAnnotations.safeParse(byName("proof.json")?.annotations);
  const confinement = ConfinementAnnotations.safeParse(byName("confinement")?.annotations);
  if (base === undefined) return bad("the provenance names no base commit");
  if (!ledger.success || headHash === undefined || !proof.success || !confinement.success)
    return bad("the provenance lacks the ledger, proof.json or confinement byproduct");
  const gates = rest.map((s) => {
    const failed = (s.predicate.failedTests as unknown[] | undefined) ?? [];
    const warned = (s.predicate.warnedTests as unknown[] | undefined) ?? [];
    const passed = (s.predicate.passedTests as unknown[] | undefined) ?? [];
    const name = [...passed, ...warned, ...failed].find((n) => typeof n === "string") as string | undefined;
    return { name: name ?? "?", result: String(s.predicate.result) };
  });
  return {
    ok: true,
    receipt: {
      statements,
      runId: p.runDetails.metadata.invocationId,
      commit,
      tree,
      base,
      gatesDigest: p.buildDefinition.externalParameters.gates.digest,
      ledger: { headHash, events: ledger.data.events },
      status: proof.data.status,
      confinement: confinement.data,
      gates,
    },
  };
}

export interface ReceiptCheck {
  name: "signature" | "statements" | "commit" | "gates";
  ok: boolean;
  detail: string;
}

export interface ReceiptVerifyResult {
  ok: boolean;
  runId: string | null;
  commit: string | null;
  status: string | null;
  confined: boolean | null;
  checks: ReceiptCheck[];
}

/**
 * Third-party verification of a receipt: with nothing but its text, the public key and a clone of the
 * repository, check the signatures, that the subject commit exists there with the attested tree on
 * the attested base, and that the gates definition the run names is the base commit's gates.toml.
 */
export async function verifyReceipt(
  text: string,
  publicKey: { publicKey: KeyObject; fingerprint: string },
  repoRoot: string,
): Promise<ReceiptVerifyResult> {
  const opened = openReceipt(text, publicKey.publicKey);
  if (!opened.ok) {
    const checks: ReceiptCheck[] = [
      { name: opened.check as ReceiptCheck["name"], ok: false, detail: opened.reason },
    ];
    if (opened.check === "statements")
      checks.unshift({ name: "signature", ok: true, detail: `signed by key ${publicKey.fingerprint}` });
    return { ok: false, runId: null, commit: null, status: null, confined: null, checks };
  }
  const r = opened.receipt;
  const checks: ReceiptCheck[] = [
    {
      name: "signature",
      ok: true,
      detail: `${r.statements.length} envelope(s) signed by key ${publicKey.fingerprint}`,
    },
    {
      name: "statements",
      ok: true,
      detail: `provenance of ${r.runId} (status ${r.status}, ${r.confinement.confined ? "confined" : "unconfined"}) and ${r.gates.length} test result(s): ${r.gates.map((g) => `${g.name} ${g.result}`).join(", ") || "none"}`,
    },
    await commitCheck(repoRoot, r),
    await gatesCheck(repoRoot, r),
  ];
  return {
    ok: checks.every((c) => c.ok),
    runId: r.runId,
    commit: r.commit,
    status: r.status,
    confined: r.confinement.confined,
    checks,
  };
}

async function commitCheck(root: string, r: OpenedReceipt): Promise<ReceiptCheck> {
  const tree = await treeOf(root, r.commit).catch(() => null);
  if (tree === null)
    return { name: "commit", ok: false, detail: `commit ${r.commit.slice(0, 12)} is not in the repository` };
  const parents = await parentsOf(root, r.commit).catch(() => [] as string[]);
  const problems: string[] = [];
  if (tree !== r.tree)
    problems.push(`its tree is ${tree.slice(0, 12)}, the receipt says ${r.tree.slice(0, 12)}`);
  if (parents.length !== 1 || parents[0] !== r.base)
    problems.push(
      `its parents [${parents.map((p) => p.slice(0, 12)).join(", ")}] are not the base ${r.base.slice(0, 12)}`,
    );
  return {
    name: "commit",
    ok: problems.length === 0,
    detail:
      problems.length === 0
        ? `${r.commit.slice(0, 12)} is present with tree ${tree.slice(0, 12)} on base ${r.base.slice(0, 12)}`
        : `commit ${r.commit.slice(0, 12)}: ${problems.join("; ")}`,
  };
}

/** The base commit's gates.toml is what judged; the run's own commit normally holds the same file. */
async function gatesCheck(root: string, r: OpenedReceipt): Promise<ReceiptCheck> {
  const digestAt = async (rev: string) => {
    const blob = (await blobsAt(root, rev, [GATES_FILE]).catch(() => null))?.get(GATES_FILE) ?? null;
    return blob === null
      ? null
      : { sha256: createHash("sha256").update(blob.bytes).digest("hex"), gitBlob: blob.oid };
  };
  const same = (a: OpenedReceipt["gatesDigest"], b: OpenedReceipt["gatesDigest"]) =>
    a === null || b === null ? a === b : a.sha256 === b.sha256 && a.gitBlob === b.gitBlob;
  const atBase = await digestAt(r.base);
  if (!same(atBase, r.gatesDigest)) {
    const want = r.gatesDigest === null ? "no gates.toml" : `sha256 ${r.gatesDigest.sha256.slice(0, 12)}`;
    const got = atBase === null ? "none" : `sha256 ${atBase.sha256.slice(0, 12)}`;
    return {
      name: "gates",
      ok: false,
      detail: `the receipt names ${want} for ${GATES_FILE}; the base commit ${r.base.slice(0, 12)} has ${got}`,
    };
  }
  const atCommit = await digestAt(r.commit);
  const note = same(atCommit, atBase) ? "" : " (the run's commit changes it, with --allow-path)";
  return {
    name: "gates",
    ok: true,
    detail:
      r.gatesDigest === null
        ? `the base commit has no ${GATES_FILE}, as the receipt says (gates were detected)${note}`
        : `${GATES_FILE} at the base is sha256 ${r.gatesDigest.sha256.slice(0, 12)}, as the receipt says${note}`,
  };
}
