import { createHash, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { RunJournalEvent, TypedEvent } from "../../../src/journal/events.js";
import { projectRun } from "../../../src/journal/state.js";
import { INTOTO_PAYLOAD_TYPE, signEnvelope } from "../../../src/proof/dsse.js";
import {
  buildStatements,
  confinementByAttempt,
  isConfined,
  SLSA_PROVENANCE_V1,
  type Statement,
  TEST_RESULT_V01,
} from "../../../src/proof/intoto.js";
import { openReceipt } from "../../../src/proof/verify-receipt.js";
import type { Entry } from "../journal/fixture.js";
import { attemptEntries, ev, ledger, TASK } from "../journal/fixture.js";

const GATES = { sha256: "e".repeat(64), gitBlob: "f".repeat(40) };
const confinement = (attempt: number, mode: "bwrap" | "none"): Entry => [
  "Confinement",
  { attempt, mode, requested: "auto", network: "none", ...(mode === "none" ? { reason: "no bwrap" } : {}) },
];

function finishedRun(extra: Entry[][] = [[], []]): RunJournalEvent[] {
  const entries: Entry[] = [
    ev.started(),
    ev.workspaceReady(),
    ...(extra[0] ?? []),
    ...attemptEntries(1, { gates: [["test", "fail"]], outcome: "gates_failed" }),
    ...(extra[1] ?? []),
    ...attemptEntries(2, {
      gates: [
        ["test", "pass"],
        ["lint", "skip"],
        ["flaky", "fail"],
      ],
    }),
    ev.committed(),
    ev.runFinished("ready", ["all required gates passed on attempt 2"]),
  ];
  const events = ledger(entries);
  return ledger([...entries, ev.proofWritten(events.length)]);
}

function statementsOf(events: RunJournalEvent[]): Statement[] {
  const s = projectRun(events);
  const written = events.at(-1) as TypedEvent<"ProofWritten">;
  return buildStatements(s, events, written, { gatesDigest: GATES, omkVersion: "9.9.9" });
}

const key = () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, publicKey, keyid: "k" };
};
const bundle = (sts: readonly unknown[], k: ReturnType<typeof key>) =>
  sts
    .map((st) => JSON.stringify(signEnvelope(INTOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(st)), k)))
    .join("\n");

describe("the receipt's statements", () => {
  it("provenance first, then one Test Result per gate of the last attempt, all about the commit and tree", () => {
    // The "flaky" gate is optional here: its failure is WARNED, like a skip.
    const events = finishedRun();
    const gate = events.find(
      (e): e is TypedEvent<"GateResult"> => e.kind === "GateResult" && e.data.gate.name === "flaky",
    );
    if (gate) gate.data.gate.required = false;
    const sts = statementsOf(events);
    expect(sts.map((s) => s.predicateType)).toEqual([
      SLSA_PROVENANCE_V1,
      TEST_RESULT_V01,
      TEST_RESULT_V01,
      TEST_RESULT_V01,
    ]);
    for (const s of sts)
      expect(s.subject).toEqual([
        { name: "omk/run-fixture", digest: { gitCommit: "c".repeat(40) } },
        { name: "omk/run-fixture^{tree}", digest: { gitTree: "d".repeat(40) } },
      ]);
    expect(
      sts.slice(1).map((s) => [s.predicate.result, s.predicate.passedTests, s.predicate.warnedTests]),
    ).toEqual([
      ["PASSED", ["test"], []],
      ["WARNED", [], ["lint"]],
      ["WARNED", [], ["flaky"]],
    ]);
  });

  it("names the task only by the sha256 of its recorded text, and the ledger head by ProofWritten", () => {
    const events = finishedRun();
    const [prov] = statementsOf(events);
    const text = JSON.stringify(prov);
    expect(text).not.toContain(TASK);
    const p = prov?.predicate as {
      buildDefinition: { externalParameters: { task: { digest: { sha256: string } } } };
      runDetails: { byproducts: { name: string; digest?: Record<string, string>; annotations?: unknown }[] };
    };
    expect(p.buildDefinition.externalParameters.task.digest.sha256).toBe(
      createHash("sha256").update(TASK).digest("hex"),
    );
    const written = events.at(-1)!;
    expect(p.runDetails.byproducts[0]).toEqual({
      name: "ledger",
      digest: { sha256: written.hash },
      annotations: { events: events.length, headSeq: written.seq },
    });
  });

  it("confinement: per attempt, the last record for it; an attempt without one is unconfined", () => {
    const none = finishedRun();
    expect(confinementByAttempt(projectRun(none), none).map((a) => a.mode)).toEqual(["none", "none"]);
    const both = finishedRun([[confinement(1, "none"), confinement(1, "bwrap")], [confinement(2, "bwrap")]]);
    const c = confinementByAttempt(projectRun(both), both);
    expect(c.map((a) => a.mode)).toEqual(["bwrap", "bwrap"]);
    expect(isConfined(c)).toBe(true);
    const half = finishedRun([[confinement(1, "bwrap")], [confinement(2, "none")]]);
    const h = confinementByAttempt(projectRun(half), half);
    expect(h[1]).toMatchObject({ attempt: 2, mode: "none", reason: "no bwrap" });
    expect(isConfined(h)).toBe(false);
    expect(projectRun(half).confinement).toMatchObject({ attempt: 2, mode: "none" });
  });
});

describe("openReceipt", () => {
  it("reads back what was signed", () => {
    const k = key();
    const r = openReceipt(bundle(statementsOf(finishedRun()), k), k.publicKey);
    if (!r.ok) throw new Error(r.reason);
    expect(r.receipt).toMatchObject({
      runId: "run-fixture",
      commit: "c".repeat(40),
      tree: "d".repeat(40),
      base: "b".repeat(40),
      gatesDigest: GATES,
      status: "ready",
      confinement: { confined: false },
    });
    expect(r.receipt.gates.map((g) => g.name)).toEqual(["test", "lint", "flaky"]);
  });

  it("refuses, naming why: nothing, another key, a statement about another subject, the wrong order", () => {
    const k = key();
    const sts = statementsOf(finishedRun());
    expect(openReceipt("\n", k.publicKey)).toMatchObject({ ok: false, reason: "the file holds no envelope" });
    expect(openReceipt(bundle(sts, key()), k.publicKey)).toMatchObject({
      ok: false,
      check: "signature",
      reason: "line 1: no signature verifies with the given key",
    });
    const other = sts.map((s, i) =>
      i === 2 ? { ...s, subject: [{ name: "x", digest: { gitCommit: "0" } }] } : s,
    );
    expect(openReceipt(bundle(other, k), k.publicKey)).toMatchObject({
      ok: false,
      check: "statements",
      reason: "the statements do not share one subject",
    });
    expect(openReceipt(bundle([...sts].reverse(), k), k.publicKey)).toMatchObject({
      ok: false,
      reason: "the first statement is not SLSA provenance v1",
    });
    const envelope = JSON.stringify({ ...signEnvelope("text/plain", Buffer.from("{}"), k) });
    expect(openReceipt(envelope, k.publicKey)).toMatchObject({
      ok: false,
      reason: "line 1: payloadType is not application/vnd.in-toto+json",
    });
    expect(openReceipt("{not json", k.publicKey)).toMatchObject({ ok: false, reason: "line 1 is not JSON" });
  });
});
