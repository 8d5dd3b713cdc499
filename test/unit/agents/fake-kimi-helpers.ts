import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type {
  AgentEvent,
  AgentStartContext,
  ApprovalDecision,
  ApprovalRequest,
} from "../../../src/agents/types.js";
import { defaultSpawner } from "../../../src/proc/context.js";

export const FAKE_KIMI = resolve(import.meta.dirname, "../../fixtures/fake-kimi/kimi");

export interface TempDir {
  dir: string;
  cleanup(): Promise<void>;
}

export async function tempDir(prefix = "omk-agents-"): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeScenario(dir: string, scenario: unknown, name = "scenario.json"): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(scenario));
  return file;
}

/** The minimum env a child needs here; tests add what they exercise. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return { PATH: process.env["PATH"], HOME: process.env["HOME"], ...extra };
}

export interface Recorder {
  events: AgentEvent[];
  approvals: ApprovalRequest[];
  ctx: AgentStartContext;
  /** Resolves when an event matching `pred` has been seen. */
  waitFor(pred: (e: AgentEvent) => boolean): Promise<AgentEvent>;
}

export function recorder(
  base: Omit<AgentStartContext, "approve" | "onEvent" | "runId" | "cwd" | "proc"> &
    Partial<Pick<AgentStartContext, "runId" | "cwd" | "proc">>,
  decide: (req: ApprovalRequest) => ApprovalDecision | Promise<ApprovalDecision> = () => ({
    decision: "approve",
    reason: "test approves",
  }),
): Recorder {
  const events: AgentEvent[] = [];
  const approvals: ApprovalRequest[] = [];
  const waiters: { pred: (e: AgentEvent) => boolean; resolve: (e: AgentEvent) => void }[] = [];
  const ctx: AgentStartContext = {
    runId: "run-test",
    cwd: process.cwd(),
    proc: defaultSpawner,
    ...base,
    approve: async (req) => {
      approvals.push(req);
      return decide(req);
    },
    onEvent: (e) => {
      events.push(e);
      for (const w of [...waiters]) {
        if (w.pred(e)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    },
  };
  return {
    events,
    approvals,
    ctx,
    waitFor: (pred) => {
      const seen = events.find(pred);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}
