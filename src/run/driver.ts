import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AgentAdapter, AgentSession, ApprovalRequest, TurnResult } from "../agents/types.js";
import { isOmkError } from "../core/errors.js";
import { gatesOk } from "../gates/evidence.js";
import type { GateSpec } from "../gates/schema.js";
import { commitTree, seedSnapshotIndex, setBranch, treeOf } from "../git/snapshot.js";
import type { RunEventInput } from "../journal/events.js";
import type { RunJournal } from "../journal/run-journal.js";
import type { RunState } from "../journal/state.js";
import { type AskFn, decideApproval } from "../policy/approval.js";
import type { ProcessContext } from "../proc/context.js";
import { killProcessesIn } from "../proc/orphans.js";
import type { ProjectConfig } from "../project/config-schema.js";
import { diffFingerprints, fingerprintRepo, type RepoFingerprint } from "../project/fingerprint.js";
import { acquireGateWorkspace } from "../project/gate-workspace.js";
import type { ProjectLocation, RunLocation } from "../project/locate.js";
import { ensureWorktree, prepareWorkspace } from "../project/workspace.js";
import { KNOBS, readIntKnob } from "../security/bounded-env.js";
import { PRIVATE_FILE_MODE } from "../store/private-fs.js";
import { decideAttemptOutcome, decideStatus } from "./decide.js";
import { type Evaluation, evaluateAttempt } from "./evaluate.js";
import { buildFeedback } from "./feedback.js";
import { AgentOutputRecorder, type OutputFraming } from "./output.js";
import { resumePoint } from "./resume-point.js";

export interface DriveOptions {
  journal: RunJournal;
  project: ProjectLocation;
  loc: RunLocation;
  config: ProjectConfig;
  gates: readonly GateSpec[];
  /** gates.toml `protect` of the run's base. */
  protect: readonly string[];
  adapter: AgentAdapter;
  parentEnv: Readonly<Record<string, string | undefined>>;
  /** Where the user invoked omk (relative agent executables are found from there). */
  cwd: string;
  /** The run's own process context: every child it starts is recorded there. */
  proc: ProcessContext;
  signal: AbortSignal;
  ask: AskFn | null;
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
  const { journal } = o;
  const state = () => journal.state;
  // Events appended from synchronous callbacks (gate progress, setup steps); awaited before moving on.
  const pending = new Set<Promise<unknown>>();
  let session: AgentSession | null = null;
  let fingerprint: RepoFingerprint | null = null;
  const interrupted = async (phase: string, attempt: number | null): Promise<DriveResult> => {
    await journal.append("RunInterrupted", { phase, attempt, reason: "SIGINT" });
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
        // Only a worktree omk just checked out: an existing one's index is the agent's to forge.
        if (how === "created") await seedSnapshotIndex(s.worktree, snapshotIndex(o.loc)).catch(() => {});
        const setup = await prepareWorkspace(s.root, s.worktree, o.config.workspace, {
          parentEnv: o.parentEnv,
          signal: o.signal,
          proc: o.proc,
          onStep: (step) => {
            pending.add(journal.append("WorkspaceSetup", { step, ok: step.ok, detail: step.detail }));
          },
        }).catch((err: unknown) => {
          if (isOmkError(err) && err.code === "INTERRUPTED") return null;
          throw err;
        });
        await Promise.all(pending);
        pending.clear();
        if (setup === null) return await interrupted("workspace", null);
        await journal.append("WorkspaceReady", {
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
        await journal.append("AttemptStarted", { attempt: n, feedbackFrom: point.feedbackFrom });
        // What the repository outside the worktree looks like before the agent may touch it.
        fingerprint = await fingerprintRepo(s.root, { excludeRefPrefixes: [RUN_BRANCHES] });
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
        const turn: TurnOutcome = await runAgentTurn(o, s, n, prompt, feedbackFile, session).catch(
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
        // Nothing the turn started may change the worktree once omk looks at it (setsid escapees too).
        const killed = await killProcessesIn(s.worktree, session?.sessionPid ? [session.sessionPid] : []);
        await journal.append("AgentStopped", { attempt: n, killed });
        fingerprint = await checkRepository(o, n, fingerprint);
        await journal.append("AgentFinished", {
          attempt: n,
          status: turn.result.status,
          detail: turn.result.detail,
          steps: turn.result.steps,
        });
        if (turn.infra) {
          await journal.append("AttemptFinished", { attempt: n, outcome: "agent_infra" });
          continue;
        }
        if (turn.result.status === "cancelled" || o.signal.aborted) return await interrupted("agent", n);
        continue;
      }

      if (point.kind === "evaluate") {
        const n = point.attempt;
        if ((state().attempts.find((a) => a.n === n)?.tampered.length ?? 0) > 0) {
          // Nothing of the agent's runs once it reached outside its worktree: not even the snapshot.
          await journal.append("AttemptFinished", { attempt: n, outcome: "blocked" });
          continue;
        }
        fingerprint ??= await fingerprintRepo(s.root, { excludeRefPrefixes: [RUN_BRANCHES] });
        const gateWorkspace = await acquireGateWorkspace(o.project);
        let ev: Evaluation;
        try {
          ev = await evaluateAttempt({
            worktree: s.worktree,
            base: s.base,
            attempt: n,
            snapshotIndex: snapshotIndex(o.loc),
            artifactsDir: o.loc.artifacts,
            gates: o.gates,
            protect: o.protect,
            allowPaths: s.allowPaths,
            workspace: o.config.workspace,
            gateWorkspace,
            parentEnv: o.parentEnv,
            signal: o.signal,
            proc: o.proc,
            hooks: {
              onSnapshot: async (snap) => {
                await journal.append("Snapshot", {
                  attempt: n,
                  tree: snap.tree,
                  agentCommits: snap.agentCommits,
                });
              },
              onDiff: async (d) => {
                await journal.append("DiffCaptured", {
                  attempt: n,
                  tree: d.tree,
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
              onAllowed: async (a) => {
                await journal.append("PathAllowed", { attempt: n, path: a.path, glob: a.glob });
              },
              onViolation: async (v) => {
                await journal.append("WriteSetViolation", { attempt: n, path: v.path, reason: v.reason });
              },
              onFinding: async (f) => {
                await journal.append("SecurityFinding", {
                  attempt: n,
                  path: f.path,
                  line: f.line,
                  rule: f.rule,
                  preview: f.preview,
                });
              },
              onGateWorkspace: async (w) => {
                await journal.append("GateWorkspaceReady", { attempt: n, ...w });
              },
              onGateStart: (name) => {
                pending.add(journal.append("GateStarted", { attempt: n, name }));
              },
              onGateResult: (g) => {
                pending.add(
                  journal.append("GateResult", {
                    attempt: n,
                    gate: { ...g, durationMs: Math.round(g.durationMs) },
                  }),
                );
              },
            },
          });
        } catch (err) {
          if (isOmkError(err) && err.code === "INTERRUPTED") return await interrupted("gates", n);
          throw err;
        } finally {
          // Whatever the gates started in the gate workspace stops with them.
          await killProcessesIn(gateWorkspace.dir);
          await gateWorkspace.release();
        }
        await Promise.all(pending);
        pending.clear();
        if (ev.interrupted) return await interrupted("gates", n);
        // Gate code is the agent's code too: the repository must be as it was after the turn.
        const tampered = (await checkRepository(o, n, fingerprint)) === null;
        const outcome = decideAttemptOutcome({
          blocked: tampered || ev.violations.length > 0 || ev.findings.length > 0,
          setupFailed: ev.setupFailed !== null,
          changedFiles: ev.files.length,
          gatesPassed: ev.gates !== null && gatesOk(ev.gates),
          agentStatus: state().attempts.find((a) => a.n === n)?.agent?.status ?? null,
        });
        await journal.append("AttemptFinished", { attempt: n, outcome });
        if (outcome !== "passed" && outcome !== "blocked" && outcome !== "no_changes" && n < s.maxAttempts) {
          // A crashed or failed turn cannot take feedback: the next attempt starts a new session.
          const last = state().attempts.find((a) => a.n === n);
          if (last?.agent?.status !== "finished" && session) {
            await session.close().catch(() => {});
            session = null;
          }
        }
        continue;
      }

      // finalize: commit exactly the tree that was judged, on the base; the agent's commits stay out.
      const verdict = decideStatus(s);
      let head: string = s.base;
      const judged = s.attempts[s.attempts.length - 1]?.tree ?? null;
      const commits = verdict.status === "ready" || verdict.status === "not_ready";
      if (commits && judged !== null && judged !== (await treeOf(s.root, s.base))) {
        head = await commitTree(s.root, judged, s.base, commitMessage(s));
        await journal.append("Committed", { commit: head, branch: s.branch, tree: judged, parent: s.base });
      } else if (commits) {
        await journal.append("Committed", { commit: null, branch: s.branch });
      }
      // The branch holds omk's commit or the base, never what the agent committed itself.
      await setBranch(s.root, s.branch, head, `omk: run ${s.runId}`);
      // The snapshot cache names every path of the tree, secret-shaped names included: it goes with the run.
      await rm(snapshotIndex(o.loc), { force: true });
      await journal.append("RunFinished", {
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
): Promise<TurnOutcome> {
  const { journal } = o;
  // A kept session (kimi) was started by an earlier turn: its callbacks reach this turn through the router.
  const out = outputRouter(o);
  out.begin(attempt);
  try {
    let session = existing;
    if (!session) {
      session = await o.adapter.start({
        worktree: s.worktree,
        runId: s.runId,
        parentEnv: o.parentEnv,
        cwd: o.cwd,
        proc: o.proc,
        agentBin: s.agent.bin ?? undefined,
        agentArgs: s.agent.args,
        model: s.agent.model ?? undefined,
        signal: o.signal,
        timeoutMs: o.config.run.agent_timeout_secs * 1000,
        approve: async (req: ApprovalRequest) => {
          const n = out.attempt;
          await journal.append("ApprovalAsked", {
            attempt: n,
            requestId: req.requestId,
            tool: req.tool,
            action: req.action,
            paths: req.paths,
          });
          const d = await decideApproval(s.execution, req, s.worktree, o.ask);
          await journal.append("ApprovalDecided", {
            attempt: n,
            requestId: req.requestId,
            tool: req.tool,
            decision: d.decision,
            reason: d.reason,
            mode: s.execution,
          });
          return d;
        },
        onEvent: (event) => {
          // Approvals are recorded by the policy wrapper above, with the decision's reason.
          if (event.type === "approval") return;
          // Text goes to the attempt's output artifact and a few coalesced AgentOutput batches.
          if (event.type === "text" || event.type === "thinking") {
            out.text(event.text, event.type);
            return;
          }
          out.breakLine();
          out.record("AgentEvent", { attempt: out.attempt, event });
        },
      });
    }
    await journal.append("AgentStarted", {
      attempt,
      adapter: o.adapter.name,
      resumedSession: existing !== null,
      version: session.version,
    });
    const onAbort = () => {
      void session?.interrupt().catch(() => {});
    };
    o.signal.addEventListener("abort", onAbort, { once: true });
    try {
      const result = await session.prompt(prompt, attempt, feedbackFile);
      await out.end();
      return { result, session, infra: false };
    } finally {
      o.signal.removeEventListener("abort", onAbort);
    }
  } finally {
    await out.end();
  }
}

/** Per drive: which attempt the agent's callbacks belong to, its output recorder, the appends in flight. */
interface OutputRouter {
  readonly attempt: number;
  begin(attempt: number): void;
  text(text: string, kind: "text" | "thinking"): void;
  breakLine(): void;
  record<K extends "AgentEvent" | "AgentOutput" | "AgentOutputSaved">(kind: K, data: RunEventInput<K>): void;
  /** Saves the attempt's output (AgentOutputSaved) and waits for every append; idempotent. */
  end(): Promise<void>;
}

const routers = new WeakMap<DriveOptions, OutputRouter>();

function outputRouter(o: DriveOptions): OutputRouter {
  const known = routers.get(o);
  if (known) return known;
  const { journal } = o;
  const capBytes = readIntKnob(o.parentEnv, KNOBS.agentOutputCapBytes, (message) =>
    router.record("AgentEvent", { attempt: router.attempt, event: { type: "status", message } }),
  );
  const framing: OutputFraming = o.adapter.name === "kimi" ? "chunks" : "lines";
  const inFlight = new Set<Promise<unknown>>();
  let failure: { error: unknown } | null = null;
  let current = 1;
  let recorder: AgentOutputRecorder | null = null;
  const router: OutputRouter = {
    get attempt() {
      return current;
    },
    begin(attempt) {
      current = attempt;
      recorder = new AgentOutputRecorder({
        runDir: o.loc.dir,
        attempt,
        capBytes,
        framing,
        onBatch: (b) => router.record("AgentOutput", { attempt, ...b }),
      });
    },
    text(text, kind) {
      // Text between turns (no recorder) has no attempt to belong to; it is dropped.
      recorder?.text(text, kind);
    },
    breakLine() {
      recorder?.breakLine();
    },
    record(kind, data) {
      const p = journal.append(kind, data);
      inFlight.add(p);
      p.then(
        () => inFlight.delete(p),
        (error: unknown) => {
          inFlight.delete(p);
          failure ??= { error };
        },
      );
    },
    async end() {
      const r = recorder;
      recorder = null;
      if (r !== null) {
        const saved = r.finish();
        router.record("AgentOutputSaved", { ...saved });
      }
      await Promise.allSettled([...inFlight]);
      if (failure !== null) {
        const { error } = failure;
        failure = null;
        throw error;
      }
    },
  };
  routers.set(o, router);
  return router;
}

function commitMessage(s: RunState): string {
  const first = s.task.split("\n")[0]!.slice(0, 72);
  return `omk: ${first}\n\n${s.task}\n\nOmk-Run: ${s.runId}\n`;
}

/** omk's private index for snapshots of the run's worktree (a stat cache; see snapshotTree). */
export function snapshotIndex(loc: RunLocation): string {
  return join(loc.dir, "snapshot.index");
}

/** Other runs move their own branches; everything else of the repository must hold still. */
const RUN_BRANCHES = "refs/heads/omk/run/";

/**
 * Compares the repository outside the run's worktree with `before`; any change is a RepoTampered
 * finding that blocks the attempt. Returns the fingerprint to compare against next, or null after
 * tampering (there is nothing trustworthy to compare with any more).
 */
async function checkRepository(
  o: DriveOptions,
  attempt: number,
  before: RepoFingerprint | null,
): Promise<RepoFingerprint | null> {
  const after = await fingerprintRepo(o.project.root, { excludeRefPrefixes: [RUN_BRANCHES] });
  if (before === null) return after;
  const changes = diffFingerprints(before, after);
  if (changes.length === 0) return after;
  await o.journal.append("RepoTampered", { attempt, changes });
  return null;
}
