import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AgentAdapter, AgentSession } from "../agents/types.js";
import { isOmkError } from "../core/errors.js";
import { gatesOk } from "../gates/evidence.js";
import type { GateSpec } from "../gates/schema.js";
import { identityArgs } from "../git/identity.js";
import { commitTree, seedSnapshotIndex, setBranch, treeOf } from "../git/snapshot.js";
import type { RunJournal } from "../journal/run-journal.js";
import { type RunState, ranInGoalLane } from "../journal/state.js";
import type { AskFn } from "../policy/approval.js";
import type { ProcessContext } from "../proc/context.js";
import { killProcessesIn } from "../proc/orphans.js";
import type { ProjectConfig } from "../project/config-schema.js";
import type { RepoFingerprint } from "../project/fingerprint.js";
import { acquireGateWorkspace } from "../project/gate-workspace.js";
import type { ProjectLocation, RunLocation } from "../project/locate.js";
import { noteUnconfinedSetup, unconfinedSetupRan } from "../project/unconfined-setup.js";
import { ensureWorktree, prepareWorkspace } from "../project/workspace.js";
import { PRIVATE_FILE_MODE } from "../store/private-fs.js";
import { runAgentTurn, type TurnOutcome } from "./agent-turn.js";
import { type RunSandbox, workspaceSpawners } from "./confinement.js";
import { decideAttemptOutcome, decideStatus } from "./decide.js";
import { type EarlySnapshot, startEarlySnapshot } from "./early-snapshot.js";
import { type Evaluation, evaluateAttempt } from "./evaluate.js";
import { buildFeedback, promptWithFeedback } from "./feedback.js";
import { checkRepository, repoFingerprint } from "./repo-check.js";
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
  /** How the agent and the gates are confined; undefined: not at all, and nothing recorded. */
  sandbox?: RunSandbox | undefined;
  /**
   * The repository as omk last checked it in this process (a fresh run's preflight): the first turn is
   * compared against it instead of a new fingerprint, so anything changed since then counts too.
   */
  fingerprint?: RepoFingerprint | undefined;
  /** The existing worktree was just reset to the base by omk (a goal's lane): its index is omk's. */
  worktreeJustReset?: boolean | undefined;
  /**
   * The run's worktree, being checked out since before the run started (a fresh run from HEAD): the
   * workspace step waits for it instead of checking one out.
   */
  earlyWorktree?: Promise<"created" | "reattached"> | undefined;
  /** The gate workspace slot to try first (a goal's lane n: slot n, so lanes do not try each other's). */
  gateSlot?: number | undefined;
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
  // The repository as omk last checked it in this process, with nothing but omk's own work since (the
  // preflight's check, then each attempt's after its turn and after its gates): the next turn is
  // judged against it — one status and one ref listing fewer per attempt, and a change made in
  // between by a process the previous turn left behind still counts. Null: take a new one.
  let fingerprint: RepoFingerprint | null = o.fingerprint ?? null;
  let earlyWorktree = o.earlyWorktree;
  // The snapshot of an attempt's worktree, begun while the repository is checked after the turn.
  let earlySnapshot: EarlySnapshot | undefined;
  // The agent's turns and the gates this process runs are in a sandbox (see checkRepository), and
  // nothing the agent steered has run outside one so far (unconfinedSetupRan).
  const sandboxed = (o.sandbox?.bwrap ?? null) !== null;
  const confined = () => sandboxed && !unconfinedSetupRan();
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
        const early = earlyWorktree;
        earlyWorktree = undefined;
        const how = await (early ?? ensureWorktree(s.root, s.worktree, s.branch, s.base));
        // Only a worktree omk just checked out (made, or a lane reset for this run): an existing
        // one's index is the agent's to forge. A forged one could only make the snapshot miss the
        // agent's own edits; what is judged is still exactly what is committed.
        if (how === "created" || (how === "existing" && o.worktreeJustReset && s.attempts.length === 0))
          await seedSnapshotIndex(s.worktree, snapshotIndex(o.loc)).catch(() => {});
        // The agent's files, whose setup (install scripts) is theirs to steer: a worktree rebuilt
        // after attempts, or a goal's lane at an integration head that earlier tasks' agents wrote.
        const agentsTree = s.attempts.length > 0 || ranInGoalLane(s);
        // Setup commands are the user's (husky sets core.hooksPath, say): the agent's turn is compared
        // with the repository as they left it.
        if (o.config.workspace.setup.length > 0) {
          fingerprint = null;
          if (agentsTree && !sandboxed) noteUnconfinedSetup();
        }
        const setup = await prepareWorkspace(s.root, s.worktree, o.config.workspace, {
          parentEnv: o.parentEnv,
          signal: o.signal,
          proc:
            agentsTree && o.sandbox
              ? (await workspaceSpawners(o.sandbox, o.proc, s.root, s.worktree)).setup
              : o.proc,
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
        fingerprint ??= await repoFingerprint(s.root);
        let feedbackFile: string | undefined;
        let prompt = s.task;
        if (point.feedbackFrom !== null) {
          const prev = s.attempts.find((a) => a.n === point.feedbackFrom);
          if (prev) {
            const feedback = buildFeedback(prev, s);
            prompt = promptWithFeedback(s.task, feedback);
            feedbackFile = join(o.loc.artifacts, `feedback-${n}.md`);
            await writeFile(feedbackFile, feedback, { mode: PRIVATE_FILE_MODE });
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
        // Recorded while the repository is checked (its fsync overlaps the git processes); a finding
        // of the check is queued behind it, so the ledger keeps the order.
        const stopped = journal.append("AgentStopped", { attempt: n, killed });
        stopped.catch(() => {});
        // The snapshot runs beside the rest of the check once the git dir is as it was (see there).
        if (!turn.infra && turn.result.status !== "cancelled" && fingerprint !== null) {
          earlySnapshot = await startEarlySnapshot(s, n, fingerprint, snapshotIndex(o.loc));
        }
        fingerprint = await checkRepository(o.journal, o.project.root, n, fingerprint, confined());
        await stopped;
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
        const snapshot = earlySnapshot?.attempt === n ? earlySnapshot.tree : undefined;
        earlySnapshot = undefined;
        if ((state().attempts.find((a) => a.n === n)?.tampered.length ?? 0) > 0) {
          // Its snapshot stops writing the private index before the run goes on (finalize removes it).
          await snapshot?.catch(() => {});
          // Nothing of the agent's runs once it reached outside its worktree: not even the snapshot.
          await journal.append("AttemptFinished", { attempt: n, outcome: "blocked" });
          continue;
        }
        fingerprint ??= await repoFingerprint(s.root);
        // Wanted only when the run commits; read now, while git is busy with the snapshot anyway.
        identityArgs(s.root).catch(() => {});
        const gateWorkspace = acquireGateWorkspace(o.project, o.gateSlot);
        gateWorkspace.catch(() => {});
        let ev: Evaluation;
        try {
          ev = await evaluateAttempt({
            worktree: s.worktree,
            base: s.base,
            attempt: n,
            snapshotIndex: snapshotIndex(o.loc),
            snapshot,
            artifactsDir: o.loc.artifacts,
            gates: o.gates,
            protect: o.protect,
            allowPaths: s.allowPaths,
            workspace: o.config.workspace,
            gateWorkspace,
            parentEnv: o.parentEnv,
            signal: o.signal,
            proc: o.proc,
            // The gates run the agent's code, and setup installs its lockfile: confined like the agent.
            spawners: o.sandbox ? (dir) => workspaceSpawners(o.sandbox!, o.proc, s.root, dir) : undefined,
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
                if (o.config.workspace.setup.length > 0 && !w.setupCached && !sandboxed)
                  noteUnconfinedSetup();
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
          const gw = await gateWorkspace.catch(() => null);
          if (gw !== null) {
            await killProcessesIn(gw.dir);
            await gw.release();
          }
        }
        await Promise.all(pending);
        pending.clear();
        if (ev.interrupted) return await interrupted("gates", n);
        // Gate code is the agent's code too: the repository must be as it was after the turn.
        fingerprint = await checkRepository(o.journal, o.project.root, n, fingerprint, confined());
        const tampered = fingerprint === null;
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
      const last = s.attempts[s.attempts.length - 1];
      const judged = last?.tree ?? null;
      const commits = verdict.status === "ready" || verdict.status === "not_ready";
      // The recorded diff says whether the tree differs from the base (every difference of two trees
      // is a file entry in it); only without one does git have to compare.
      const differs =
        judged !== null &&
        (last?.diff ? last.diff.files.length > 0 : judged !== (await treeOf(s.root, s.base)));
      if (commits && judged !== null && differs) {
        head = await commitTree(s.root, judged, s.base, commitMessage(s));
        await journal.append("Committed", { commit: head, branch: s.branch, tree: judged, parent: s.base });
      } else if (commits) {
        await journal.append("Committed", { commit: null, branch: s.branch });
      }
      // The branch holds omk's commit or the base, never what the agent committed itself.
      await setBranch(s.root, s.branch, head, `omk: run ${s.runId}`);
      // The snapshot cache names every path of the tree, secret-shaped names included: it goes with the run.
      await rm(snapshotIndex(o.loc), { force: true });
      await rm(`${snapshotIndex(o.loc)}.tree`, { force: true });
      await journal.append("RunFinished", {
        status: verdict.status,
        reasons: verdict.reasons,
        headCommit: head,
      });
      return { state: state(), interrupted: false };
    }
  } finally {
    if (session) await session.close().catch(() => {});
    // An interrupt before the workspace step: git still finishes the checkout the run now records.
    await earlyWorktree?.catch(() => {});
    await earlySnapshot?.tree.catch(() => {});
  }
}

function commitMessage(s: RunState): string {
  const first = s.task.split("\n")[0]!.slice(0, 72);
  return `omk: ${first}\n\n${s.task}\n\nOmk-Run: ${s.runId}\n`;
}

/** omk's private index for snapshots of the run's worktree (a stat cache; see snapshotTree). */
export function snapshotIndex(loc: RunLocation): string {
  return join(loc.dir, "snapshot.index");
}
