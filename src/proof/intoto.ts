import { createHash } from "node:crypto";
import { z } from "zod";
import type { GateRecord, RunJournalEvent, TypedEvent } from "../journal/events.js";
import type { RunState } from "../journal/state.js";

/**
 * The in-toto statements of a run's receipt (proof.intoto.json): one SLSA Provenance v1 statement for
 * the run, then one Test Result v0.1 statement per gate that judged the committed tree. All share the
 * same subject: the run's commit (gitCommit) and its tree (gitTree).
 */
export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1" as const;
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
export const TEST_RESULT_V01 = "https://in-toto.io/attestation/test-result/v0.1";
/** SLSA buildType: what externalParameters below mean. A URN: omk owns no URL to put here. */
export const OMK_BUILD_TYPE = "urn:omk:run:v1";
/** SLSA builder.id: whoever holds the key the receipt is signed with. */
export const OMK_BUILDER_ID = "urn:omk:builder";
export const GATES_FILE = ".omk/gates.toml";

const Hex = z.string().regex(/^[0-9a-f]+$/);
const DigestSet = z.record(z.string(), z.string());
const ResourceDescriptor = z.looseObject({
  name: z.string().optional(),
  uri: z.string().optional(),
  digest: DigestSet.optional(),
  annotations: z.record(z.string(), z.unknown()).optional(),
});

export const StatementSchema = z.looseObject({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(z.looseObject({ name: z.string(), digest: DigestSet })).min(1),
  predicateType: z.string().min(1),
  predicate: z.record(z.string(), z.unknown()),
});
export type Statement = z.infer<typeof StatementSchema>;

const AttemptConfinement = z.looseObject({
  attempt: z.number().int().min(1),
  mode: z.enum(["bwrap", "none"]),
  requested: z.enum(["auto", "required", "off"]).nullable(),
  network: z.enum(["none", "host"]).nullable(),
  reason: z.string().optional(),
});
export type AttemptConfinement = z.infer<typeof AttemptConfinement>;

/** The parts of the provenance predicate that verification and land read; the rest is for people. */
export const ProvenanceSchema = z.looseObject({
  buildDefinition: z.looseObject({
    buildType: z.literal(OMK_BUILD_TYPE),
    externalParameters: z.looseObject({
      task: z.looseObject({ digest: z.looseObject({ sha256: Hex }) }),
      gates: z.looseObject({
        file: z.literal(GATES_FILE),
        /** null: the base commit had no gates.toml and the gates were detected. */
        digest: z.looseObject({ sha256: Hex, gitBlob: Hex }).nullable(),
      }),
    }),
    resolvedDependencies: z.array(ResourceDescriptor),
  }),
  runDetails: z.looseObject({
    metadata: z.looseObject({ invocationId: z.string() }),
    byproducts: z.array(ResourceDescriptor),
  }),
});

export const ConfinementAnnotations = z.looseObject({
  confined: z.boolean(),
  attempts: z.array(AttemptConfinement),
});
export const LedgerAnnotations = z.looseObject({ events: z.number().int().min(1), headSeq: z.number() });
export const ProofAnnotations = z.looseObject({ status: z.string() });

/** What the run's receipt is built from, beside the run's own record. */
export interface ReceiptInputs {
  /** The base commit's gates.toml (null when it had none): its sha256 and git blob id. */
  gatesDigest: { sha256: string; gitBlob: string } | null;
  omkVersion: string;
}

export function subjectOf(s: RunState): Statement["subject"] | null {
  const commit = s.finished?.headCommit ?? null;
  const tree = s.committed?.tree ?? null;
  if (commit === null || tree === null) return null;
  return [
    { name: s.branch, digest: { gitCommit: commit } },
    { name: `${s.branch}^{tree}`, digest: { gitTree: tree } },
  ];
}

/**
 * How each attempt was confined: the last Confinement recorded for it; an attempt without one ran
 * unconfined (an omk without a sandbox records none).
 */
export function confinementByAttempt(s: RunState, events: readonly RunJournalEvent[]): AttemptConfinement[] {
  const last = new Map<number, TypedEvent<"Confinement">["data"]>();
  for (const e of events) if (e.kind === "Confinement") last.set(e.data.attempt, e.data);
  return s.attempts.map((a) => {
    const c = last.get(a.n);
    if (c === undefined)
      return {
        attempt: a.n,
        mode: "none",
        requested: null,
        network: null,
        reason: "no confinement recorded",
      };
    return {
      attempt: a.n,
      mode: c.mode,
      requested: c.requested,
      network: c.network,
      ...(c.reason === undefined ? {} : { reason: c.reason }),
    };
  });
}

export function isConfined(attempts: readonly AttemptConfinement[]): boolean {
  return attempts.length > 0 && attempts.every((a) => a.mode === "bwrap");
}

/**
 * The statements for a finished run with a commit, up to and including `proofWritten` (the ledger
 * head the receipt vouches for). The task appears only as the sha256 of its recorded (redacted) text.
 */
export function buildStatements(
  s: RunState,
  events: readonly RunJournalEvent[],
  proofWritten: TypedEvent<"ProofWritten">,
  inputs: ReceiptInputs,
): Statement[] {
  const subject = subjectOf(s);
  if (subject === null) throw new Error("a receipt needs the run's commit and tree");
  const upto = events.filter((e) => e.seq <= proofWritten.seq);
  const confinement = confinementByAttempt(s, upto);
  const gatesDescriptor = {
    name: GATES_FILE,
    ...(inputs.gatesDigest === null ? {} : { digest: inputs.gatesDigest }),
  };
  const provenance = {
    buildDefinition: {
      buildType: OMK_BUILD_TYPE,
      externalParameters: {
        task: { digest: { sha256: createHash("sha256").update(s.task, "utf8").digest("hex") } },
        agent: { adapter: s.agent.name, version: s.agent.version, model: s.agent.model },
        execution: s.execution,
        maxAttempts: s.maxAttempts,
        allowPaths: s.allowPaths,
        gates: { file: GATES_FILE, digest: inputs.gatesDigest },
      },
      internalParameters: { omkVersion: inputs.omkVersion },
      resolvedDependencies: [{ name: "base", digest: { gitCommit: s.base } }],
    },
    runDetails: {
      builder: { id: OMK_BUILDER_ID, version: { omk: inputs.omkVersion } },
      metadata: { invocationId: s.runId, startedOn: s.startedAt, finishedOn: proofWritten.ts },
      byproducts: [
        {
          name: "ledger",
          digest: { sha256: proofWritten.hash },
          annotations: { events: upto.length, headSeq: proofWritten.seq },
        },
        {
          name: "proof.json",
          digest: { sha256: proofWritten.data.sha256 },
          annotations: { status: proofWritten.data.status },
        },
        { name: "confinement", annotations: { confined: isConfined(confinement), attempts: confinement } },
      ],
    },
  };
  const gates = s.attempts.at(-1)?.gates ?? [];
  return [
    { _type: STATEMENT_TYPE, subject, predicateType: SLSA_PROVENANCE_V1, predicate: provenance },
    ...gates.map((g) => ({
      _type: STATEMENT_TYPE,
      subject,
      predicateType: TEST_RESULT_V01,
      predicate: testResult(g, gatesDescriptor),
    })),
  ];
}

/** A gate as a Test Result: a failure that may not fail the run (skip, allow_fail, optional) is WARNED. */
function testResult(g: GateRecord, gatesDescriptor: Record<string, unknown>): Record<string, unknown> {
  const result =
    g.status === "pass" ? "PASSED" : g.status === "skip" || g.allowFail || !g.required ? "WARNED" : "FAILED";
  return {
    result,
    configuration: [
      gatesDescriptor,
      {
        name: `${GATES_FILE}#${g.name}`,
        annotations: {
          argv: g.argv,
          cwd: g.cwd ?? ".",
          required: g.required,
          allowFail: g.allowFail,
          status: g.status,
          exitCode: g.exitCode,
          durationMs: g.durationMs,
          stdout: { sha256: g.stdoutSha256, bytes: g.stdoutBytes },
          stderr: { sha256: g.stderrSha256, bytes: g.stderrBytes },
        },
      },
    ],
    passedTests: result === "PASSED" ? [g.name] : [],
    warnedTests: result === "WARNED" ? [g.name] : [],
    failedTests: result === "FAILED" ? [g.name] : [],
  };
}
