import { z } from "zod";
import { ExecutionModeSchema } from "../policy/execution-mode.js";
import type { LedgerEvent } from "../store/ledger/format.js";

/**
 * The run event catalogue: every kind a run writes, with the zod schema of its payload. The ledger
 * is the source of truth; `run show`, progress, resume, proof and land all read these events through
 * `decodeEvent`, and every writer goes through `runEvent` (via RunJournal), so what is written always
 * decodes. Payload objects are loose: a newer omk may add fields, an older one keeps what it knows.
 */

const int = z.number().int();
const count = int.min(0);
const attempt = int.min(1);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const RUN_STATUSES = ["ready", "not_ready", "blocked", "cancelled", "failed_infra"] as const;
export const RunStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** How an attempt ended; the driver writes exactly these (see run/decide.ts). */
export const ATTEMPT_OUTCOMES = [
  "passed",
  "gates_failed",
  "agent_failed",
  "setup_failed",
  "no_changes",
  "blocked",
  "agent_infra",
] as const;
const AttemptOutcomeSchema = z.enum(ATTEMPT_OUTCOMES);
export type AttemptOutcome = z.infer<typeof AttemptOutcomeSchema>;

const TurnStatusSchema = z.enum(["finished", "cancelled", "max_steps_reached", "failed"]);

const GateRecordSchema = z.looseObject({
  name: z.string(),
  argv: z.array(z.string()),
  cwd: z.string().optional(),
  required: z.boolean(),
  allowFail: z.boolean(),
  status: z.enum(["pass", "fail", "skip", "timeout", "error"]),
  exitCode: int.nullable(),
  signal: z.string().nullable().optional(),
  durationMs: count,
  stdoutBytes: count,
  stderrBytes: count,
  stdoutSha256: sha256,
  stderrSha256: sha256,
  tail: z.string(),
  failures: z
    .object({
      format: z.string(),
      total: count,
      tests: z.array(z.object({ name: z.string(), location: z.string().nullable(), message: z.string() })),
    })
    .optional(),
  error: z.string().optional(),
});
export type GateRecord = z.infer<typeof GateRecordSchema>;

const ChangedFileRecordSchema = z.looseObject({
  path: z.string(),
  oldPath: z.string().optional(),
  status: z.string(),
  added: count.nullable(),
  deleted: count.nullable(),
  binary: z.boolean().optional(),
});

/** Normalized agent events (agents/types.ts AgentEvent), as recorded: redacted, type-tagged. */
const AgentEventRecordSchema = z.looseObject({
  type: z.string(),
  inputTokens: z.number().nullable().optional(),
  outputTokens: z.number().nullable().optional(),
  costUsd: z.number().nullable().optional(),
});

/** The agent a run drives: `--agent`, `--agent-bin`, `--agent-arg`, `--model`. */
const AgentSpecRecordSchema = z.looseObject({
  name: z.string().min(1),
  bin: z.string().nullable(),
  args: z.array(z.string()),
  model: z.string().nullable(),
});

const RunEventSchemas = {
  RunStarted: z.looseObject({
    runId: z.string().min(1),
    task: z.string(),
    root: z.string(),
    projectId: z.string(),
    base: z.string().min(1),
    baseBranch: z.string().nullable(),
    branch: z.string().min(1),
    worktree: z.string().min(1),
    agent: AgentSpecRecordSchema,
    // Required: a run whose mode is unknown must not fall back to anything.
    execution: ExecutionModeSchema,
    maxAttempts: attempt,
    gates: z.array(z.string()),
    /** `--allow-path` globs: protected paths the person allowed this run to change. */
    allowPaths: z.array(z.string()).optional(),
    omkVersion: z.string().nullable(),
  }),
  WorkspaceSetup: z.looseObject({
    step: z.object({
      kind: z.string(),
      what: z.string(),
      ok: z.boolean(),
      detail: z.string(),
      durationMs: count.optional(),
      exitCode: int.nullable().optional(),
    }),
    ok: z.boolean(),
    detail: z.string(),
  }),
  WorkspaceReady: z.looseObject({
    worktree: z.string(),
    branch: z.string(),
    how: z.string(),
    setupOk: z.boolean(),
    setupDetail: z.string(),
  }),
  AttemptStarted: z.looseObject({ attempt, feedbackFrom: attempt.nullable() }),
  AgentStarted: z.looseObject({
    attempt,
    adapter: z.string(),
    resumedSession: z.boolean(),
    version: z.string().nullable().optional(),
  }),
  AgentEvent: z.looseObject({ attempt, event: AgentEventRecordSchema }),
  /**
   * A batch of the agent's text output (exec's stdout lines, kimi's text and thinking), coalesced by
   * size and time and capped per attempt; the text itself is in the attempt's output artifact.
   * `sample`: the batch's first characters, redacted.
   */
  AgentOutput: z.looseObject({ attempt, lines: count, bytes: count, sample: z.string() }),
  /**
   * Where an attempt's output lives: `file` (run-dir relative) with its sha256 and size as written,
   * everything the agent printed (`seenBytes`, `lines`, redacted) and how much of it was cut between
   * the kept head and tail (`cutBytes`).
   */
  AgentOutputSaved: z.looseObject({
    attempt,
    file: z.string().regex(/^artifacts\/output-[1-9][0-9]*\.log$/),
    sha256,
    bytes: count,
    seenBytes: count,
    lines: count,
    cutBytes: count,
    batches: count,
  }),
  /**
   * How the agent's turn is confined, before each turn: `bwrap` or `none` (with why), what was
   * requested (`--sandbox`), and the agent's network inside.
   */
  Confinement: z.looseObject({
    attempt,
    mode: z.enum(["bwrap", "none"]),
    requested: z.enum(["auto", "required", "off"]),
    network: z.enum(["none", "host"]),
    reason: z.string().optional(),
  }),
  /** The turn's leftovers were stopped before omk looked at the worktree. */
  AgentStopped: z.looseObject({ attempt, killed: z.array(int) }),
  /** The worktree as a tree (private index); commits the agent made itself are noted, never used. */
  Snapshot: z.looseObject({
    attempt,
    tree: z.string().min(1),
    agentCommits: z.array(z.looseObject({ commit: z.string(), subject: z.string() })),
  }),
  ApprovalAsked: z.looseObject({
    attempt,
    requestId: z.string(),
    tool: z.string(),
    action: z.string(),
    paths: z.array(z.string()),
  }),
  ApprovalDecided: z.looseObject({
    attempt,
    requestId: z.string(),
    tool: z.string(),
    decision: z.enum(["approve", "reject"]),
    reason: z.string(),
    mode: ExecutionModeSchema,
  }),
  AgentFinished: z.looseObject({
    attempt,
    status: TurnStatusSchema,
    detail: z.string(),
    steps: count.nullable(),
  }),
  DiffCaptured: z.looseObject({
    attempt,
    tree: z.string().optional(),
    files: z.array(ChangedFileRecordSchema),
    added: count,
    deleted: count,
    patchFile: z.string().nullable(),
    patchSha256: sha256.nullable(),
    patchBytes: count.nullable(),
  }),
  WriteSetViolation: z.looseObject({ attempt, path: z.string(), reason: z.string() }),
  /** The repository outside the worktree changed during the attempt (hooks, config, refs, main checkout). */
  RepoTampered: z.looseObject({ attempt, changes: z.array(z.string()) }),
  /**
   * The repository outside the worktree changed while a confined attempt worked, in what its sandbox
   * keeps read-only (refs, HEAD, the main checkout, packed-refs): not the agent's doing, so noted
   * rather than blocking.
   */
  OutsideChanged: z.looseObject({ attempt, changes: z.array(z.string()).min(1), confined: z.literal(true) }),
  /** A protected path changed with the person's permission (`--allow-path`). */
  PathAllowed: z.looseObject({ attempt, path: z.string(), glob: z.string() }),
  SecurityFinding: z.looseObject({
    attempt,
    path: z.string(),
    line: count,
    rule: z.string(),
    preview: z.string().optional(),
  }),
  /** The gate workspace was reset to the attempt's tree and prepared (setup skipped when cached). */
  GateWorkspaceReady: z.looseObject({
    attempt,
    dir: z.string(),
    ok: z.boolean(),
    detail: z.string(),
    setupCached: z.boolean(),
  }),
  GateStarted: z.looseObject({ attempt, name: z.string() }),
  GateResult: z.looseObject({ attempt, gate: GateRecordSchema }),
  AttemptFinished: z.looseObject({ attempt, outcome: AttemptOutcomeSchema }),
  Committed: z.looseObject({
    commit: z.string().nullable(),
    branch: z.string(),
    tree: z.string().optional(),
    parent: z.string().optional(),
  }),
  RunFinished: z.looseObject({
    status: RunStatusSchema,
    reasons: z.array(z.string()),
    headCommit: z.string().nullable(),
  }),
  RunInterrupted: z.looseObject({ phase: z.string(), attempt: attempt.nullable(), reason: z.string() }),
  RunResumed: z.looseObject({ after: z.string(), pid: int, reapedGroups: count }),
  /**
   * `omk run resume <run> --max-attempts N`: a finished not_ready run continues with a new attempt
   * budget (and another agent, when `agent` is set). Its earlier ending and proof are superseded.
   */
  RunReopened: z.looseObject({
    previousStatus: RunStatusSchema,
    previousMaxAttempts: attempt,
    maxAttempts: attempt,
    agent: AgentSpecRecordSchema.nullable(),
    /** The worktree was gone (cleanup): it is re-attached to the run's branch and set up again. */
    rebuildWorkspace: z.boolean(),
    pid: int,
    /**
     * `omk run resume <run> --accept-outside-changes`: a run blocked only by changes outside its
     * worktree, which the person says they made, has that attempt judged again (no new agent turn).
     */
    acceptedOutside: z.object({ attempt, changes: z.array(z.string()).min(1) }).optional(),
  }),
  ProofWritten: z.looseObject({ file: z.string(), sha256, status: RunStatusSchema, headSeq: count }),
  Landed: z.looseObject({
    commit: z.string(),
    fastForward: z.boolean(),
    regated: z.boolean().optional(),
    /** `land --no-regate`: the gates were not re-run before the fast-forward. */
    regateSkipped: z.boolean().optional(),
    /** What the land rested on: gates re-run, a signed receipt of a confined run, or --no-regate. */
    trust: z.enum(["regate", "receipt", "no-regate"]).optional(),
    /** The receipt's signing key (trust "receipt"), or why the receipt was not enough (trust "regate"). */
    receipt: z.looseObject({ keyid: z.string().optional(), refused: z.string().optional() }).optional(),
    onto: z.string().nullable().optional(),
    mode: z.string().optional(),
  }),
} as const;

export type RunEventKind = keyof typeof RunEventSchemas;
export type RunEventData<K extends RunEventKind> = z.infer<(typeof RunEventSchemas)[K]>;
/** What a writer passes: the schema's input (optional fields may be left out). */
export type RunEventInput<K extends RunEventKind> = z.input<(typeof RunEventSchemas)[K]>;

export const RUN_EVENT_KINDS = Object.keys(RunEventSchemas) as RunEventKind[];

/** A ledger line whose kind is known and whose payload decoded. */
export type TypedEvent<K extends RunEventKind> = Omit<LedgerEvent, "kind" | "data"> & {
  kind: K;
  data: RunEventData<K>;
};

/** Every event a run can hold, as a union discriminated by `kind`. */
export type RunJournalEvent = { [K in RunEventKind]: TypedEvent<K> }[RunEventKind];

function isRunEventKind(kind: string): kind is RunEventKind {
  return Object.hasOwn(RunEventSchemas, kind);
}

/**
 * The constructor: validates a payload before it is written, so a programming error fails here,
 * never as a ledger that later readers cannot decode.
 */
export function runEvent<K extends RunEventKind>(
  kind: K,
  data: RunEventInput<K>,
): { kind: K; data: RunEventData<K> } {
  const parsed = RunEventSchemas[kind].safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `invalid ${kind} payload: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return { kind, data: parsed.data as RunEventData<K> };
}

export type DecodeResult =
  | { ok: true; event: RunJournalEvent }
  /** Written by a newer omk: skipped by readers, reported to the user. */
  | { ok: false; problem: "unknown_kind"; seq: number; kind: string; message: string }
  /** A known kind whose payload does not match: the ledger is not one this omk wrote. */
  | { ok: false; problem: "invalid_payload"; seq: number; kind: string; message: string };

export function decodeEvent(e: LedgerEvent): DecodeResult {
  if (!isRunEventKind(e.kind)) {
    return {
      ok: false,
      problem: "unknown_kind",
      seq: e.seq,
      kind: e.kind,
      message: `seq ${e.seq}: unknown event kind ${JSON.stringify(e.kind)}`,
    };
  }
  const parsed = RunEventSchemas[e.kind].safeParse(e.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      problem: "invalid_payload",
      seq: e.seq,
      kind: e.kind,
      message: `seq ${e.seq} ${e.kind}: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
    };
  }
  return { ok: true, event: { ...e, kind: e.kind, data: parsed.data } as RunJournalEvent };
}

export interface DecodedEvents {
  events: RunJournalEvent[];
  /** Kinds this omk does not know (a newer omk wrote them). */
  unknown: { seq: number; kind: string }[];
  /** Known kinds whose payloads do not decode. */
  invalid: { seq: number; kind: string; message: string }[];
}

export function decodeEvents(raw: readonly LedgerEvent[]): DecodedEvents {
  const out: DecodedEvents = { events: [], unknown: [], invalid: [] };
  for (const e of raw) {
    const d = decodeEvent(e);
    if (d.ok) out.events.push(d.event);
    else if (d.problem === "unknown_kind") out.unknown.push({ seq: d.seq, kind: d.kind });
    else out.invalid.push({ seq: d.seq, kind: d.kind, message: d.message });
  }
  return out;
}
