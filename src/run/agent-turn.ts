import type { AgentSession, ApprovalRequest, TurnResult } from "../agents/types.js";
import type { RunEventInput } from "../journal/events.js";
import type { RunState } from "../journal/state.js";
import { decideApproval } from "../policy/approval.js";
import type { Spawner } from "../proc/context.js";
import { KNOBS, readIntKnob } from "../security/bounded-env.js";
import { agentSpawner, confinementEvent, type RunSandbox } from "./confinement.js";
import type { DriveOptions } from "./driver.js";
import { AgentOutputRecorder, type OutputFraming } from "./output.js";

export interface TurnOutcome {
  result: TurnResult;
  session: AgentSession | null;
  infra: boolean;
}

export async function runAgentTurn(
  o: DriveOptions,
  s: RunState,
  attempt: number,
  prompt: string,
  feedbackFile: string | undefined,
  existing: AgentSession | null,
): Promise<TurnOutcome> {
  const { journal } = o;
  // How this turn is confined is on record before anything of the agent runs.
  const confined = o.sandbox === undefined ? null : await turnSandbox(o, o.sandbox, s);
  if (o.sandbox !== undefined) await journal.append("Confinement", confinementEvent(o.sandbox, attempt));
  confined?.hand(feedbackFile);
  // A kept session (kimi) was started by an earlier turn: its callbacks reach this turn through the router.
  const out = outputRouter(o);
  out.begin(attempt);
  try {
    let session = existing;
    if (!session) {
      session = await o.adapter.start({
        worktree: s.worktree,
        runId: s.runId,
        task: s.task,
        parentEnv: o.parentEnv,
        cwd: o.cwd,
        proc: confined?.proc ?? o.proc,
        agentBin: s.agent.bin ?? undefined,
        agentArgs: s.agent.args,
        model: s.agent.model ?? undefined,
        execution: s.execution,
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

/** Per drive: the agent's confined spawner, and the files handed to the current turn. */
interface TurnSandbox {
  proc: Spawner;
  hand(file: string | undefined): void;
}

const turnSandboxes = new WeakMap<DriveOptions, Promise<TurnSandbox>>();

function turnSandbox(o: DriveOptions, sb: RunSandbox, s: RunState): Promise<TurnSandbox> {
  let known = turnSandboxes.get(o);
  if (known === undefined) {
    let handed: string[] = [];
    known = agentSpawner(
      sb,
      o.proc,
      { root: s.root, worktree: s.worktree, branch: s.branch },
      () => handed,
    ).then((proc) => ({
      proc,
      hand: (file) => {
        handed = file === undefined ? [] : [file];
      },
    }));
    turnSandboxes.set(o, known);
  }
  return known;
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
