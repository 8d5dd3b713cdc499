import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type {
  AgentAdapter,
  AgentEvent,
  AgentSession,
  ApprovalRequest,
  ExecutionMode,
  TurnResult,
} from "../agents/types.js";
import type { ProjectConfig } from "../core/config.js";
import { isOmkError } from "../core/errors.js";
import { gatesOk } from "../gates/evidence.js";
import type { GateSpec } from "../gates/schema.js";
import { commitStaged, headCommit } from "../git/index.js";
import { type AskFn, decideApproval } from "../policy/approval.js";
import type { Ledger, LedgerEvent } from "../store/ledger/index.js";
import { PRIVATE_FILE_MODE } from "../store/private-fs.js";
import { decideStatus } from "./decide.js";
import { evaluateAttempt } from "./evaluate.js";
import { RunEvent } from "./events.js";
import { buildFeedback } from "./feedback.js";
import type { RunLocation } from "./locate.js";
import { projectRun, type RunState, resumePoint } from "./state.js";
import { ensureWorktree, prepareWorkspace } from "./workspace.js";

export interface DriveOptions {
  ledger: Ledger;
  /** Every event appended so far, in order (the driver keeps it current). */
  events: LedgerEvent[];
  loc: RunLocation;
  config: ProjectConfig;
  gates: readonly GateSpec[];
  adapter: AgentAdapter;
  parentEnv: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  ask: AskFn | null;
  /** Observers (progress view). Called after the event is durable. */
  onEvent?: ((e: LedgerEvent) => void) | undefined;
}

interface TurnOutcome {
  result: TurnResult;
  session: AgentSession | null;
  infra: boolean;
}

export interface DriveResult {
  state: RunState;
  interrupted: boolean;
}

/**
 * The run loop. It starts from whatever the ledger says has happened, so a fresh run and a resumed
 * one (after Ctrl-C or kill -9) go through the same code: workspace → agent → evaluate → feedback …
 * → finalize. Every state change is appended before it is acted on.
 */
export async function driveRun(o: DriveOptions): Promise<DriveResult> {
  const append = async (kind: string, data: Record<string, unknown>): Promise<LedgerEvent> => {
    const e = await o.ledger.append({ kind, data });
    o.events.push(e);
    o.onEvent?.(e);
    return e;
  };
  const state = () => projectRun(o.events);
  // Events appended from synchronous callbacks (gate progress, setup steps); awaited before moving on.
  const pending = new Set<Promise<unknown>>();
  let session: AgentSession | null = null;
  const interrupted = async (phase: string, attempt: number | null): Promise<DriveResult> => {
    await append(RunEvent.RunInterrupted, { phase, attempt, reason: "SIGINT" });
    return { state: state(), interrupted: true };
  };

  try {
    for (;;) {
      const s = state();
      const point = resumePoint(s);
      if (point.kind === "done") return { state: s, interrupted: false };
      if (o.signal.aborted) return await interrupted(point.kind, "attempt" in point ? point.attempt : null);

      if (point.kind === "workspace") {
        const how = await ensureWorktree(s.root, s.worktree, s.branch, s.base);
        const setup = await prepareWorkspace(s.root, s.worktree, o.config.workspace, {
          parentEnv: o.parentEnv,
          signal: o.signal,
          onStep: (step) => {
            pending.add(
              append(RunEvent.WorkspaceSetup, {
                step: step as unknown as Record<string, unknown>,
                ok: step.ok,
                detail: step.detail,
              }),
            );
          },
        }).catch((err: unknown) => {
          if (isOmkError(err) && err.code === "INTERRUPTED") return null;
          throw err;
        });
        await Promise.all(pending);
        pending.clear();
        if (setup === null) return await interrupted("workspace", null);
        await append(RunEvent.WorkspaceReady, {
          worktree: s.worktree,
          branch: s.branch,
          how,
          setupOk: setup.ok,
          setupDetail: setup.detail,
        });
        continue;
      }

      if (point.kind === "agent") {
        const n = point.attempt;
        await append(RunEvent.AttemptStarted, { attempt: n, feedbackFrom: point.feedbackFrom });
        let feedbackFile: string | undefined;
        let prompt = s.task;
        if (point.feedbackFrom !== null) {
          const prev = s.attempts.find((a) => a.n === point.feedbackFrom);
          if (prev) {
            prompt = buildFeedback(s.task, prev, s.maxAttempts);
            feedbackFile = join(o.loc.artifacts, `feedback-${n}.md`);
            await writeFile(feedbackFile, prompt, { mode: PRIVATE_FILE_MODE });
          }
        }
        const turn: TurnOutcome = await runAgentTurn(o, s, n, prompt, feedbackFile, session, append).catch(
          async (err: unknown) => {
            if (
              isOmkError(err) &&
              (err.code === "AGENT_NOT_FOUND" || err.code === "AGENT_PROTOCOL" || err.code === "AGENT_FAILED")
            ) {
              const failed: TurnOutcome = {
                result: { status: "failed", detail: err.message, steps: null },
                session: null,
                infra: true,
              };
              return failed;
            }
            throw err;
          },
        );
        session = turn.session;
        await append(RunEvent.AgentFinished, {
          attempt: n,
          status: turn.result.status,
          detail: turn.result.detail,
          steps: turn.result.steps,
        });
        if (turn.infra) {
          await append(RunEvent.AttemptFinished, { attempt: n, outcome: "agent_infra" });
          continue;
        }
        if (turn.result.status === "cancelled" || o.signal.aborted) return await interrupted("agent", n);
        continue;
      }

      if (point.kind === "evaluate") {
        const n = point.attempt;
        const ev = await evaluateAttempt({
          worktree: s.worktree,
          base: s.base,
          attempt: n,
          artifactsDir: o.loc.artifacts,
          gates: o.gates,
          parentEnv: o.parentEnv,
          signal: o.signal,
          hooks: {
            onDiff: async (d) => {
              await append(RunEvent.DiffCaptured, {
                attempt: n,
                files: d.files.map((f) => ({
                  path: f.path,
                  ...(f.oldPath ? { oldPath: f.oldPath } : {}),
                  status: f.status,
                  added: f.added,
                  deleted: f.deleted,
                  binary: f.binary,
                })),
                added: d.added,
                deleted: d.deleted,
                patchFile: d.patch ? `artifacts/attempt-${n}.patch` : null,
                patchSha256: d.patch?.sha256 ?? null,
                patchBytes: d.patch?.bytes ?? null,
              });
            },
            onViolation: async (v) => {
              await append(RunEvent.WriteSetViolation, { attempt: n, path: v.path, reason: v.reason });
            },
            onFinding: async (f) => {
              await append(RunEvent.SecurityFinding, {
                attempt: n,
                path: f.path,
                line: f.line,
                rule: f.rule,
                preview: f.preview,
              });
            },
            onGateStart: (name) => {
              pending.add(append(RunEvent.GateStarted, { attempt: n, name }));
            },
            onGateResult: (g) => {
              pending.add(
                append(RunEvent.GateResult, {
                  attempt: n,
                  gate: { ...g, durationMs: Math.round(g.durationMs) },
                }),
              );
            },
          },
        });
        await Promise.all(pending);
        pending.clear();
        if (ev.interrupted) return await interrupted("gates", n);
        const blocked = ev.violations.length > 0 || ev.findings.length > 0;
        const gatesPassed = ev.gates !== null && gatesOk(ev.gates);
        const agentOk = state().attempts.find((a) => a.n === n)?.agent?.status === "finished";
        const outcome = blocked
          ? "blocked"
          : ev.files.length === 0
            ? "no_changes"
            : gatesPassed && agentOk
              ? "passed"
              : "gates_failed";
        await append(RunEvent.AttemptFinished, { attempt: n, outcome });
        if (outcome === "gates_failed" && n < s.maxAttempts) {
          // A crashed or failed turn cannot take feedback: the next attempt starts a new session.
          const last = state().attempts.find((a) => a.n === n);
          if (last?.agent?.status !== "finished" && session) {
            await session.close().catch(() => {});
            session = null;
          }
        }
        continue;
      }

      // finalize
      const verdict = decideStatus(s);
      let head: string | null = null;
      if (verdict.status === "ready" || verdict.status === "not_ready") {
        head = await commitStaged(s.worktree, commitMessage(s)).catch(() => null);
        await append(RunEvent.Committed, { commit: head, branch: s.branch });
      }
      head ??= await headCommit(s.worktree).catch(() => null);
      await append(RunEvent.RunFinished, {
        status: verdict.status,
        reasons: verdict.reasons,
        headCommit: head,
      });
      return { state: state(), interrupted: false };
    }
  } finally {
    if (session) await session.close().catch(() => {});
  }
}

async function runAgentTurn(
  o: DriveOptions,
  s: RunState,
  attempt: number,
  prompt: string,
  feedbackFile: string | undefined,
  existing: AgentSession | null,
  append: (kind: string, data: Record<string, unknown>) => Promise<LedgerEvent>,
): Promise<TurnOutcome> {
  const recorded = new Set<Promise<unknown>>();
  const record = (kind: string, data: Record<string, unknown>) => {
    const p = append(kind, data);
    recorded.add(p);
    p.catch(() => {});
  };
  let session = existing;
  if (!session) {
    session = await o.adapter.start({
      worktree: s.worktree,
      runId: s.runId,
      parentEnv: o.parentEnv,
      agentBin: s.agent.bin ?? undefined,
      agentArgs: s.agent.args,
      model: s.agent.model ?? undefined,
      signal: o.signal,
      timeoutMs: o.config.run.agent_timeout_secs * 1000,
      approve: async (req: ApprovalRequest) => {
        await append(RunEvent.ApprovalAsked, {
          attempt,
          requestId: req.requestId,
          tool: req.tool,
          action: req.action,
          paths: req.paths,
        });
        const d = await decideApproval(s.execution as ExecutionMode, req, s.worktree, o.ask);
        await append(RunEvent.ApprovalDecided, {
          attempt,
          requestId: req.requestId,
          tool: req.tool,
          decision: d.decision,
          reason: d.reason,
          mode: s.execution,
        });
        return d;
      },
      onEvent: (event: AgentEvent) => {
        // Approvals are recorded by the policy wrapper above, with the decision's reason.
        if (event.type !== "approval")
          record(RunEvent.AgentEvent, { attempt, event: event as unknown as Record<string, unknown> });
      },
    });
  }
  await append(RunEvent.AgentStarted, {
    attempt,
    adapter: o.adapter.name,
    resumedSession: existing !== null,
  });
  const onAbort = () => {
    void session?.interrupt().catch(() => {});
  };
  o.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const result = await session.prompt(prompt, attempt, feedbackFile);
    await Promise.all(recorded);
    return { result, session, infra: false };
  } finally {
    o.signal.removeEventListener("abort", onAbort);
  }
}

function commitMessage(s: RunState): string {
  const first = s.task.split("\n")[0]!.slice(0, 72);
  return `omk: ${first}\n\n${s.task}\n\nOmk-Run: ${s.runId}\n`;
}
