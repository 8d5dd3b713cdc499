/**
 * One builder for run events and run states, shared by the journal, run and proof unit tests.
 *
 * Events are made with the real constructor (`runEvent`), so a fixture the schemas would refuse fails
 * here, and get ledger fields that chain (`prev` is the previous `hash`). Hashes are stand-ins: any
 * 64-hex string does, nothing in these tests re-hashes a line. Event `seq` N is stamped `T0 + (N-1) s`.
 */
import fc from "fast-check";
import { EMPTY_SHA256, type GateStatus } from "../../../src/gates/evidence.js";
import {
  ATTEMPT_OUTCOMES,
  type AttemptOutcome,
  type GateRecord,
  type RunEventInput,
  type RunEventKind,
  type RunJournalEvent,
  type RunStatus,
  runEvent,
  type TypedEvent,
} from "../../../src/journal/events.js";
import {
  type AttemptState,
  initialRunState,
  projectRun,
  type RunState,
  type TurnStatus,
} from "../../../src/journal/state.js";
import { GENESIS_HASH, type LedgerEvent } from "../../../src/store/ledger/format.js";

export const T0 = "2026-03-01T10:00:00.000Z";
export const RUN_ID = "run-fixture";
export const WORKTREE = "/work/omk-worktrees/run-fixture";
export const TASK = "make the failing test pass";

export const GATE_STATUSES: readonly GateStatus[] = ["pass", "fail", "skip", "timeout", "error"];
export const TURN_STATUSES: readonly TurnStatus[] = ["finished", "cancelled", "max_steps_reached", "failed"];

/** A 64-hex stand-in hash derived from `n`. */
export function hex64(n: number): string {
  return n.toString(16).padStart(64, "0");
}

/** The timestamp of the event with this seq. */
export function tsAt(seq: number): string {
  return new Date(Date.parse(T0) + (seq - 1) * 1000).toISOString();
}

/** A ledger line as read back (undecoded): any kind, any data. */
export function rawEvent(seq: number, kind: string, data: Record<string, unknown>): LedgerEvent {
  return {
    v: 1,
    seq,
    id: `evt-${seq}`,
    ts: tsAt(seq),
    run: RUN_ID,
    kind,
    actor: "omk",
    data,
    prev: seq === 1 ? GENESIS_HASH : hex64(seq - 1),
    hash: hex64(seq),
  };
}

/** One event to write: its kind and the payload a writer passes. */
export type Entry = { [K in RunEventKind]: readonly [K, RunEventInput<K>] }[RunEventKind];

/** Validates each payload with `runEvent` and seals the entries into a chained ledger, seq 1 first. */
export function ledger(entries: readonly Entry[]): RunJournalEvent[] {
  return entries.map(([kind, input], i) => {
    const { data } = runEvent(kind, input);
    return rawEvent(i + 1, kind, data) as RunJournalEvent;
  });
}

export function gateRecord(
  name: string,
  status: GateStatus = "pass",
  over: Partial<GateRecord> = {},
): GateRecord {
  return {
    name,
    argv: ["npm", "run", name],
    cwd: ".",
    required: true,
    allowFail: false,
    status,
    exitCode: status === "pass" ? 0 : status === "fail" ? 1 : null,
    signal: null,
    durationMs: 250,
    stdoutBytes: 42,
    stderrBytes: 0,
    stdoutSha256: hex64(0x5d0),
    stderrSha256: EMPTY_SHA256,
    tail: "",
    ...over,
  };
}

/** How every fixture diff records a changed file: modified, two lines added, one deleted. */
export function changedFile(path: string) {
  return { path, status: "M", added: 2, deleted: 1 };
}

export interface PatchFixture {
  sha256: string;
  bytes: number | null;
}

/** The projection of a ledger made from `entries`. */
export function project(entries: readonly Entry[]): RunState {
  return projectRun(ledger(entries));
}

/** Payload builders, one per kind the tests write; defaults describe a well-behaved run. */
export const ev = {
  started: (over: Partial<RunEventInput<"RunStarted">> = {}): Entry => [
    "RunStarted",
    {
      runId: RUN_ID,
      task: TASK,
      root: "/work/project",
      projectId: "project-1",
      base: "b".repeat(40),
      baseBranch: "main",
      branch: "omk/run-fixture",
      worktree: WORKTREE,
      agent: { name: "kimi", bin: null, args: [], model: "kimi-k2" },
      execution: "auto",
      maxAttempts: 3,
      gates: ["lint", "test"],
      omkVersion: "0.1.0",
      ...over,
    },
  ],
  workspaceReady: (setupOk = true, setupDetail = ""): Entry => [
    "WorkspaceReady",
    { worktree: WORKTREE, branch: "omk/run-fixture", how: "created", setupOk, setupDetail },
  ],
  attemptStarted: (attempt: number, feedbackFrom: number | null = null): Entry => [
    "AttemptStarted",
    { attempt, feedbackFrom },
  ],
  agentStarted: (attempt: number, version: string | null = null): Entry => [
    "AgentStarted",
    { attempt, adapter: "kimi", resumedSession: false, version },
  ],
  usage: (
    attempt: number,
    inputTokens: number | null,
    outputTokens: number | null,
    costUsd: number | null,
  ): Entry => ["AgentEvent", { attempt, event: { type: "usage", inputTokens, outputTokens, costUsd } }],
  agentText: (attempt: number, text: string): Entry => [
    "AgentEvent",
    { attempt, event: { type: "text", text } },
  ],
  approvalAsked: (attempt: number, tool: string): Entry => [
    "ApprovalAsked",
    { attempt, requestId: `req-${tool}`, tool, action: "edit", paths: ["src/app.ts"] },
  ],
  approval: (attempt: number, decision: "approve" | "reject"): Entry => [
    "ApprovalDecided",
    { attempt, requestId: `req-${decision}`, tool: "WriteFile", decision, reason: "policy", mode: "auto" },
  ],
  agentFinished: (attempt: number, status: TurnStatus = "finished", detail = "done"): Entry => [
    "AgentFinished",
    { attempt, status, detail, steps: 4 },
  ],
  diff: (attempt: number, paths: readonly string[], patch: PatchFixture | null = null): Entry => [
    "DiffCaptured",
    {
      attempt,
      files: paths.map(changedFile),
      added: 2 * paths.length,
      deleted: paths.length,
      patchFile: patch ? `artifacts/attempt-${attempt}.patch` : null,
      patchSha256: patch?.sha256 ?? null,
      patchBytes: patch?.bytes ?? null,
    },
  ],
  violation: (attempt: number, path: string, reason = "outside the write set"): Entry => [
    "WriteSetViolation",
    { attempt, path, reason },
  ],
  finding: (attempt: number, path: string, line: number, rule: string): Entry => [
    "SecurityFinding",
    { attempt, path, line, rule, preview: "AKIA****" },
  ],
  gateStarted: (attempt: number, name: string): Entry => ["GateStarted", { attempt, name }],
  gate: (
    attempt: number,
    name: string,
    status: GateStatus = "pass",
    over: Partial<GateRecord> = {},
  ): Entry => ["GateResult", { attempt, gate: gateRecord(name, status, over) }],
  attemptFinished: (attempt: number, outcome: AttemptOutcome): Entry => [
    "AttemptFinished",
    { attempt, outcome },
  ],
  committed: (commit: string | null = "c".repeat(40)): Entry => [
    "Committed",
    commit === null
      ? { commit, branch: "omk/run-fixture" }
      : { commit, branch: "omk/run-fixture", tree: "d".repeat(40), parent: "b".repeat(40) },
  ],
  runFinished: (status: RunStatus, reasons: string[], headCommit: string | null = "c".repeat(40)): Entry => [
    "RunFinished",
    { status, reasons, headCommit },
  ],
  interrupted: (phase: string, attempt: number | null): Entry => [
    "RunInterrupted",
    { phase, attempt, reason: "SIGINT" },
  ],
  resumed: (after = "agent"): Entry => ["RunResumed", { after, pid: 4242, reapedGroups: 0 }],
  proofWritten: (headSeq: number): Entry => [
    "ProofWritten",
    { file: "proof.json", sha256: hex64(0x9f), status: "ready", headSeq },
  ],
  landed: (fastForward = true): Entry => ["Landed", { commit: "d".repeat(40), fastForward }],
  reopened: (maxAttempts: number, over: Partial<RunEventInput<"RunReopened">> = {}): Entry => [
    "RunReopened",
    {
      previousStatus: "not_ready",
      previousMaxAttempts: 3,
      maxAttempts,
      agent: null,
      rebuildWorkspace: false,
      pid: 4242,
      ...over,
    },
  ],
} as const;

/** A whole attempt as the driver writes it: start, agent turn, diff, gates, verdict. */
export function attemptEntries(
  n: number,
  o: {
    files?: readonly string[];
    gates?: readonly (readonly [string, GateStatus])[];
    outcome?: AttemptOutcome;
    patch?: PatchFixture | null;
  } = {},
): Entry[] {
  return [
    ev.attemptStarted(n, n > 1 ? n - 1 : null),
    ev.agentStarted(n),
    ev.agentFinished(n),
    ev.diff(n, o.files ?? ["src/app.ts"], o.patch ?? null),
    ...(o.gates ?? [["test", "pass"]]).map(([name, status]) => ev.gate(n, name, status)),
    ev.attemptFinished(n, o.outcome ?? "passed"),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// States, for the deciders that read a projection

export function diffState(paths: readonly string[]): AttemptState["diff"] {
  return {
    files: paths.map(changedFile),
    added: 2 * paths.length,
    deleted: paths.length,
    patchSha256: null,
    patchFile: null,
    patchBytes: null,
  };
}

/** An attempt that passed (agent finished, one file changed, the `test` gate passed), then `over`. */
export function attemptState(n: number, over: Partial<AttemptState> = {}): AttemptState {
  return {
    n,
    tree: null,
    setupFailed: null,
    agent: { status: "finished", detail: "done" },
    diff: diffState(["src/app.ts"]),
    violations: [],
    allowed: [],
    tampered: [],
    acceptedOutside: [],
    outsideWhileConfined: [],
    findings: [],
    gates: [gateRecord("test")],
    outcome: "passed",
    output: null,
    ...over,
  };
}

/** A finished run, as RunFinished records it. */
export const FINISHED: NonNullable<RunState["finished"]> = {
  status: "ready",
  reasons: ["ok"],
  headCommit: null,
};

/** The projection right after RunStarted (maxAttempts 3) with a ready workspace, then `over`. */
export function runState(attempts: AttemptState[], over: Partial<RunState> = {}): RunState {
  const [started] = ledger([ev.started()]);
  return {
    ...initialRunState(started as TypedEvent<"RunStarted">),
    workspaceReady: true,
    attempts,
    ...over,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Arbitraries

export const arbGate: fc.Arbitrary<GateRecord> = fc
  .record({
    name: fc.constantFrom("lint", "test", "build", "e2e"),
    status: fc.constantFrom(...GATE_STATUSES),
    required: fc.boolean(),
    allowFail: fc.boolean(),
  })
  .map(({ name, status, required, allowFail }) => gateRecord(name, status, { required, allowFail }));

export function arbAttempt(n: number): fc.Arbitrary<AttemptState> {
  return fc
    .record({
      agent: fc.option(fc.constantFrom(...TURN_STATUSES)),
      files: fc.option(fc.integer({ min: 0, max: 2 })),
      violations: fc.integer({ min: 0, max: 2 }),
      findings: fc.integer({ min: 0, max: 2 }),
      gates: fc.array(arbGate, { maxLength: 3 }),
      outcome: fc.option(fc.constantFrom(...ATTEMPT_OUTCOMES)),
    })
    .map((a) =>
      attemptState(n, {
        agent: a.agent === null ? null : { status: a.agent, detail: `turn ${a.agent}` },
        diff: a.files === null ? null : diffState(Array.from({ length: a.files }, (_, i) => `src/f${i}.ts`)),
        violations: Array.from({ length: a.violations }, (_, i) => ({ path: `.git/x${i}`, reason: "git" })),
        findings: Array.from({ length: a.findings }, (_, i) => ({
          path: "src/key.ts",
          line: i + 1,
          rule: "aws",
        })),
        gates: a.gates,
        outcome: a.outcome,
      }),
    );
}

/** Any projection a ledger could hold: 0..maxAttempts attempts numbered 1..k, every flag either way. */
export const arbRunState: fc.Arbitrary<RunState> = fc
  .integer({ min: 1, max: 5 })
  .chain((maxAttempts) =>
    fc.record({
      maxAttempts: fc.constant(maxAttempts),
      attempts: fc
        .integer({ min: 0, max: maxAttempts })
        .chain((k) => fc.tuple(...Array.from({ length: k }, (_, i) => arbAttempt(i + 1)))),
      workspaceReady: fc.boolean(),
      setupFailed: fc.option(fc.constant("npm ci exited 1")),
      finished: fc.option(fc.constant(FINISHED)),
    }),
  )
  .map(({ attempts, ...over }) => runState(attempts, over));
