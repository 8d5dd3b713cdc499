import { z } from "zod";
import type { LedgerEvent } from "../store/ledger/format.js";

/**
 * The goal event catalogue: every kind a goal's own ledger holds (each task's run keeps its own run
 * ledger; the goal's links to it by run id). Payloads are loose, as in the run catalogue: a newer omk
 * may add fields. Writers go through `goalEvent`, readers through `decodeGoalEvent`.
 */

const int = z.number().int();
const count = int.min(0);
const sha = z.string().regex(/^[0-9a-f]{40,64}$/);

export const GOAL_STATUSES = ["ready", "not_ready", "blocked", "cancelled", "failed_infra"] as const;
export const GoalStatusSchema = z.enum(GOAL_STATUSES);
export type GoalStatus = z.infer<typeof GoalStatusSchema>;

const AgentChoice = z.looseObject({
  name: z.string().min(1),
  bin: z.string().nullable(),
  args: z.array(z.string()),
  model: z.string().nullable(),
});
export type AgentChoice = z.infer<typeof AgentChoice>;

export const GoalTaskRecord = z.looseObject({
  id: z.string().min(1),
  title: z.string(),
  prompt: z.string(),
  deps: z.array(z.string()),
  readSet: z.array(z.string()),
  writeSet: z.array(z.string()),
});

const GoalEventSchemas = {
  GoalStarted: z.looseObject({
    goalId: z.string().min(1),
    goal: z.string(),
    root: z.string(),
    projectId: z.string(),
    base: sha,
    baseBranch: z.string().nullable(),
    integrationBranch: z.string().min(1),
    lanes: int.min(1),
    agent: AgentChoice,
    planner: AgentChoice.nullable(),
    planFile: z.string().nullable(),
    acceptPartial: z.boolean(),
    portBase: int.min(1),
    portSpan: int.min(1),
    maxAttempts: int.min(1).nullable(),
    /** `--sandbox` / `--network` for every task's run; null: each run's own default. */
    sandbox: z.enum(["auto", "required", "off"]).nullable().optional(),
    network: z.enum(["none", "host"]).nullable().optional(),
    omkVersion: z.string().nullable(),
  }),
  PlanReceived: z.looseObject({
    source: z.enum(["planner", "file"]),
    sha256: sha,
    bytes: count,
    repaired: z.boolean(),
    /** How many TaskAccepted and TaskRejected follow: fewer in the ledger means omk died recording them. */
    accepted: count.optional(),
    rejected: count.optional(),
  }),
  TaskAccepted: z.looseObject({ index: count, task: GoalTaskRecord }),
  TaskRejected: z.looseObject({ index: count, id: z.string(), rule: z.string(), detail: z.string() }),
  TaskClaimed: z.looseObject({ taskId: z.string(), lane: count, base: sha, claim: int.min(1) }),
  TaskRunStarted: z.looseObject({ taskId: z.string(), runId: z.string(), lane: count }),
  LeaseRenewed: z.looseObject({ taskId: z.string(), runId: z.string(), lane: count }),
  LeaseExpired: z.looseObject({ taskId: z.string(), runId: z.string(), lane: count, silentMs: count }),
  /** A task that will run again (its lease expired): retryable, not blocked. */
  TaskRequeued: z.looseObject({ taskId: z.string(), reason: z.string() }),
  TaskFinished: z.looseObject({
    taskId: z.string(),
    runId: z.string(),
    status: z.string(),
    commit: sha.nullable(),
    reasons: z.array(z.string()),
  }),
  WriteSetViolation: z.looseObject({ taskId: z.string(), runId: z.string(), paths: z.array(z.string()) }),
  IntegrationConflict: z.looseObject({
    taskId: z.string(),
    runId: z.string(),
    head: sha,
    conflicts: z.array(z.string()),
    retry: z.boolean(),
  }),
  IntegrationMerged: z.looseObject({
    taskId: z.string(),
    runId: z.string(),
    commit: sha,
    prev: sha,
    head: sha,
    fastForward: z.boolean(),
    /** The merge was found on the branch after a crash, not made now. */
    recovered: z.boolean().optional(),
  }),
  TaskBlocked: z.looseObject({ taskId: z.string(), reason: z.string(), dropped: z.array(z.string()) }),
  IntegrationGates: z.looseObject({
    head: sha,
    ok: z.boolean(),
    gates: z.array(z.looseObject({ name: z.string(), status: z.string(), exitCode: int.nullable() })),
    /** How setup and gates were confined (absent in ledgers of omk versions that ran them unconfined). */
    confinement: z.enum(["bwrap", "none"]).optional(),
  }),
  GoalInterrupted: z.looseObject({ reason: z.string() }),
  GoalPaused: z.looseObject({ requestedAt: z.string().nullable() }),
  GoalResumed: z.looseObject({ pid: int }),
  GoalFinished: z.looseObject({ status: GoalStatusSchema, reasons: z.array(z.string()), head: sha }),
  GoalProofWritten: z.looseObject({ sha256: sha }),
  GoalAccepted: z.looseObject({ commit: sha, onto: z.string().nullable(), fastForward: z.boolean() }),
  GoalRejected: z.looseObject({ reason: z.string() }),
} as const;

export type GoalEventKind = keyof typeof GoalEventSchemas;
export type GoalEventData<K extends GoalEventKind> = z.infer<(typeof GoalEventSchemas)[K]>;
export type GoalEventInput<K extends GoalEventKind> = z.input<(typeof GoalEventSchemas)[K]>;
export type GoalTypedEvent<K extends GoalEventKind> = Omit<LedgerEvent, "kind" | "data"> & {
  kind: K;
  data: GoalEventData<K>;
};
export type GoalJournalEvent = { [K in GoalEventKind]: GoalTypedEvent<K> }[GoalEventKind];

export function goalEvent<K extends GoalEventKind>(
  kind: K,
  data: GoalEventInput<K>,
): { kind: K; data: GoalEventData<K> } {
  const parsed = GoalEventSchemas[kind].safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `invalid ${kind} payload: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return { kind, data: parsed.data as GoalEventData<K> };
}

export interface DecodedGoalEvents {
  events: GoalJournalEvent[];
  unknown: { seq: number; kind: string }[];
  invalid: { seq: number; kind: string; message: string }[];
}

export function decodeGoalEvents(raw: readonly LedgerEvent[]): DecodedGoalEvents {
  const out: DecodedGoalEvents = { events: [], unknown: [], invalid: [] };
  for (const e of raw) {
    if (!Object.hasOwn(GoalEventSchemas, e.kind)) {
      out.unknown.push({ seq: e.seq, kind: e.kind });
      continue;
    }
    const kind = e.kind as GoalEventKind;
    const parsed = GoalEventSchemas[kind].safeParse(e.data);
    if (parsed.success) out.events.push({ ...e, kind, data: parsed.data } as GoalJournalEvent);
    else out.invalid.push({ seq: e.seq, kind, message: parsed.error.issues[0]?.message ?? "invalid" });
  }
  return out;
}
