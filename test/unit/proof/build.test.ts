import { describe, expect, it } from "vitest";
import { EMPTY_SHA256 } from "../../../src/gates/evidence.js";
import { projectRun } from "../../../src/journal/state.js";
import { buildProof } from "../../../src/proof/build.js";
import { type Proof, ProofSchema } from "../../../src/proof/schema.js";
import {
  attemptEntries,
  changedFile,
  type Entry,
  ev,
  hex64,
  ledger,
  RUN_ID,
  T0,
  TASK,
  tsAt,
} from "../journal/fixture.js";

const VERSION = "9.9.9-test";
const PATCH1 = { sha256: hex64(0xa1), bytes: 120 };
const PATCH2 = { sha256: hex64(0xa2), bytes: 300 };
const REASONS = ["all required gates passed on attempt 2"];

type Stream = { sha256: string; bytes: number };

/** A passed fixture gate as the proof shows it. */
function passedGate(name: string, stdout: Stream, stderr: Stream) {
  const flags = { required: true, allowFail: false };
  return {
    name,
    argv: ["npm", "run", name],
    cwd: ".",
    status: "pass",
    exitCode: 0,
    durationMs: 250,
    ...flags,
    stdout,
    stderr,
  };
}

/** Builds the proof from events the way `proof write` and `proof verify` do, and checks it is one. */
function proofOf(entries: readonly Entry[]): Proof {
  const events = ledger(entries);
  const proof = buildProof(projectRun(events), events, VERSION);
  expect(ProofSchema.safeParse(proof).success).toBe(true);
  // `proof verify` compares the rebuilt proof with the parsed file, as JSON text.
  expect(JSON.stringify(ProofSchema.parse(JSON.parse(JSON.stringify(proof))))).toBe(JSON.stringify(proof));
  return proof;
}

/** Two attempts: the first fails `test`, the second passes `lint` and `test`; the run is ready. */
const TWO_ATTEMPTS: Entry[] = [
  ev.started(),
  ev.workspaceReady(),
  ev.attemptStarted(1),
  ev.agentStarted(1, "kimi 1.2.3"),
  ev.usage(1, 100, 20, 0.25),
  ev.approval(1, "approve"),
  ev.agentFinished(1),
  ev.diff(1, ["src/app.ts"], PATCH1),
  ev.gateStarted(1, "test"),
  ev.gate(1, "test", "fail"),
  ev.attemptFinished(1, "gates_failed"),
  ev.attemptStarted(2, 1),
  ev.agentStarted(2, null),
  ev.usage(2, 50, 10, 0.5),
  ev.approval(2, "reject"),
  ev.agentFinished(2),
  ev.diff(2, ["src/app.ts", "test/app.test.ts"], PATCH2),
  ev.gate(2, "lint", "pass", { stdoutBytes: 7, stdoutSha256: hex64(0x17) }),
  ev.gate(2, "test", "pass", { stderrBytes: 3, stderrSha256: hex64(0x3e) }),
  ev.attemptFinished(2, "passed"),
  ev.committed(),
  ev.runFinished("ready", REASONS, "c".repeat(40)),
];

describe("buildProof", () => {
  it("projects a two-attempt run", () => {
    const proof = proofOf(TWO_ATTEMPTS);
    expect(proof).toEqual({
      schema: "omk.proof/v1",
      runId: RUN_ID,
      goalId: null,
      task: TASK,
      repo: { root: "/work/project", baseCommit: "b".repeat(40), baseBranch: "main" },
      branch: "omk/run-fixture",
      headCommit: "c".repeat(40),
      tree: "d".repeat(40),
      status: "ready",
      reasons: REASONS,
      agent: { adapter: "kimi", version: "kimi 1.2.3", model: "kimi-k2", execution: "auto" },
      attempts: [
        { n: 1, agentStatus: "finished", outcome: "gates_failed", gates: [{ name: "test", status: "fail" }] },
        {
          n: 2,
          agentStatus: "finished",
          outcome: "passed",
          gates: [
            { name: "lint", status: "pass" },
            { name: "test", status: "pass" },
          ],
        },
      ],
      gates: [
        passedGate("lint", { sha256: hex64(0x17), bytes: 7 }, { sha256: EMPTY_SHA256, bytes: 0 }),
        passedGate("test", { sha256: hex64(0x5d0), bytes: 42 }, { sha256: hex64(0x3e), bytes: 3 }),
      ],
      diff: {
        files: [changedFile("src/app.ts"), changedFile("test/app.test.ts")],
        added: 4,
        deleted: 2,
        sha256: PATCH2.sha256,
        artifact: "artifacts/attempt-2.patch",
        tests: ["test/app.test.ts"],
      },
      writeSet: { ok: true, violations: [], allowed: [] },
      security: { findings: [] },
      approvals: { approved: 1, rejected: 1 },
      artifacts: [
        { path: "artifacts/attempt-1.patch", sha256: PATCH1.sha256, bytes: 120 },
        { path: "artifacts/attempt-2.patch", sha256: PATCH2.sha256, bytes: 300 },
      ],
      ledger: {
        headHash: hex64(TWO_ATTEMPTS.length),
        events: TWO_ATTEMPTS.length,
        headSeq: TWO_ATTEMPTS.length,
      },
      timings: {
        startedAt: T0,
        finishedAt: tsAt(TWO_ATTEMPTS.length),
        durationMs: (TWO_ATTEMPTS.length - 1) * 1000,
      },
      usage: { inputTokens: 150, outputTokens: 30, costUsd: 0.75 },
      omk: { version: VERSION },
    });
  });

  it("takes the ledger head from the last event it is given", () => {
    const events = ledger([...TWO_ATTEMPTS, ev.proofWritten(TWO_ATTEMPTS.length)]);
    const upto = events.slice(0, 5);
    expect(buildProof(projectRun(upto), upto, VERSION).ledger).toEqual({
      headHash: hex64(5),
      events: 5,
      headSeq: 5,
    });
    expect(buildProof(projectRun(events), events, VERSION).ledger.headSeq).toBe(TWO_ATTEMPTS.length + 1);
  });

  it("calls a run without RunFinished cancelled", () => {
    const proof = proofOf(TWO_ATTEMPTS.slice(0, 12));
    expect(proof).toMatchObject({
      status: "cancelled",
      reasons: ["the run did not finish"],
      headCommit: null,
    });
    expect(proof.attempts.map((a) => [a.n, a.agentStatus, a.outcome])).toEqual([
      [1, "finished", "gates_failed"],
      [2, null, null],
    ]);
  });

  it("reports the gates and diff of the last attempt only, even when it has none", () => {
    const proof = proofOf([
      ev.started(),
      ev.workspaceReady(),
      ...attemptEntries(1, { gates: [["test", "fail"]], outcome: "gates_failed", patch: PATCH1 }),
      ev.attemptStarted(2, 1),
      ev.agentFinished(2, "failed", "kimi crashed"),
      ev.attemptFinished(2, "agent_infra"),
      ev.runFinished("failed_infra", ["agent could not run: kimi crashed"], null),
    ]);
    expect(proof.gates).toEqual([]);
    expect(proof.diff).toEqual({ files: [], added: 0, deleted: 0, sha256: null, artifact: null, tests: [] });
    expect(proof.artifacts).toEqual([
      { path: "artifacts/attempt-1.patch", sha256: PATCH1.sha256, bytes: 120 },
    ]);
    expect(proof.status).toBe("failed_infra");
  });

  it("lists artifacts only for attempts with a patch file, with zero bytes when the size is unknown", () => {
    const proof = proofOf([
      ev.started(),
      ...attemptEntries(1, { patch: { sha256: hex64(0xa1), bytes: null }, outcome: "gates_failed" }),
      ...attemptEntries(2, { patch: null, files: [], outcome: "no_changes" }),
    ]);
    expect(proof.artifacts).toEqual([{ path: "artifacts/attempt-1.patch", sha256: hex64(0xa1), bytes: 0 }]);
  });

  it("reports the last attempt's violations and findings", () => {
    const proof = proofOf([
      ev.started(),
      ev.attemptStarted(1),
      ev.violation(1, "old.ts"),
      ev.attemptStarted(2, 1),
      ev.diff(2, [".github/ci.yml"]),
      ev.violation(2, ".github/ci.yml", "git metadata"),
      ev.finding(2, "src/key.ts", 3, "aws-access-key"),
      ev.attemptFinished(2, "blocked"),
    ]);
    expect(proof.writeSet).toEqual({
      ok: false,
      violations: [{ path: ".github/ci.yml", reason: "git metadata" }],
      allowed: [],
    });
    expect(proof.security).toEqual({ findings: [{ path: "src/key.ts", line: 3, rule: "aws-access-key" }] });
  });

  it.each([
    ["no usage events", [], null],
    ["zero usage", [ev.usage(1, 0, 0, 0)], null],
    ["null usage", [ev.usage(1, null, null, null)], null],
    ["tokens only", [ev.usage(1, 0, 12, null)], { inputTokens: 0, outputTokens: 12, costUsd: 0 }],
    ["cost only", [ev.usage(1, null, null, 0.5)], { inputTokens: 0, outputTokens: 0, costUsd: 0.5 }],
    [
      "several turns",
      [ev.usage(1, 1, 2, 0.25), ev.usage(2, 10, 20, 0.25)],
      { inputTokens: 11, outputTokens: 22, costUsd: 0.5 },
    ],
  ] as const)("usage with %s", (_name, usage, expected) => {
    expect(proofOf([ev.started(), ...usage]).usage).toEqual(expected);
  });

  it("builds a valid proof from RunStarted alone", () => {
    const proof = proofOf([ev.started({ execution: "never", baseBranch: null })]);
    expect(proof).toMatchObject({
      status: "cancelled",
      agent: { adapter: "kimi", version: null, model: "kimi-k2", execution: "never" },
      repo: { baseBranch: null },
      attempts: [],
      gates: [],
      artifacts: [],
      approvals: { approved: 0, rejected: 0 },
      ledger: { headHash: hex64(1), events: 1, headSeq: 1 },
      timings: { startedAt: T0, finishedAt: T0, durationMs: 0 },
      usage: null,
    });
  });

  it("keeps an optional or allow_fail gate's flags and exit code", () => {
    const proof = proofOf([
      ev.started(),
      ev.gate(1, "e2e", "fail", { required: false, exitCode: 3 }),
      ev.gate(1, "flaky", "timeout", { allowFail: true }),
    ]);
    expect(proof.gates.map((g) => [g.name, g.status, g.exitCode, g.required, g.allowFail])).toEqual([
      ["e2e", "fail", 3, false, false],
      ["flaky", "timeout", null, true, true],
    ]);
  });
});
