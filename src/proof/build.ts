import type { RunJournalEvent } from "../journal/events.js";
import type { RunState } from "../journal/state.js";
import { isTestPath } from "../security/protected.js";
import type { Proof } from "./schema.js";

/**
 * proof.json is a projection of the ledger (plus the artifact hashes already recorded in it):
 * everything here can be recomputed from events.jsonl, which is what `proof verify` does.
 */
export function buildProof(s: RunState, events: readonly RunJournalEvent[], omkVersion: string): Proof {
  const head = events[events.length - 1]!;
  const last = s.attempts[s.attempts.length - 1];
  const finished = s.finished;
  const artifacts = s.attempts
    .filter((a) => a.diff?.patchFile && a.diff.patchSha256)
    .map((a) => ({ path: a.diff!.patchFile!, sha256: a.diff!.patchSha256!, bytes: a.diff!.patchBytes ?? 0 }));
  const started = Date.parse(s.startedAt);
  const ended = Date.parse(head.ts);
  return {
    schema: "omk.proof/v1",
    runId: s.runId,
    goalId: null,
    task: s.task,
    repo: { root: s.root, baseCommit: s.base, baseBranch: s.baseBranch },
    branch: s.branch,
    headCommit: finished?.headCommit ?? null,
    tree: s.committed?.tree ?? null,
    status: finished?.status ?? "cancelled",
    reasons: finished?.reasons ?? ["the run did not finish"],
    agent: {
      adapter: s.agent.name,
      version: s.agent.version,
      model: s.agent.model,
      execution: s.execution,
    },
    attempts: s.attempts.map((a) => ({
      n: a.n,
      agentStatus: a.agent?.status ?? null,
      outcome: a.outcome,
      gates: a.gates.map((g) => ({ name: g.name, status: g.status })),
      ...(a.acceptedOutside.length > 0 ? { acceptedOutsideChanges: [...a.acceptedOutside] } : {}),
      ...(a.outsideWhileConfined.length > 0
        ? { outsideChangesWhileConfined: [...a.outsideWhileConfined] }
        : {}),
    })),
    gates: (last?.gates ?? []).map((g) => ({
      name: g.name,
      argv: g.argv,
      cwd: g.cwd ?? ".",
      status: g.status,
      exitCode: g.exitCode,
      durationMs: g.durationMs,
      required: g.required,
      allowFail: g.allowFail,
      stdout: { sha256: g.stdoutSha256, bytes: g.stdoutBytes },
      stderr: { sha256: g.stderrSha256, bytes: g.stderrBytes },
    })),
    diff: {
      files: (last?.diff?.files ?? []).map((f) => ({
        path: f.path,
        status: f.status,
        added: f.added,
        deleted: f.deleted,
      })),
      added: last?.diff?.added ?? 0,
      deleted: last?.diff?.deleted ?? 0,
      sha256: last?.diff?.patchSha256 ?? null,
      artifact: last?.diff?.patchFile ?? null,
      tests: (last?.diff?.files ?? []).filter((f) => isTestPath(f.path)).map((f) => f.path),
    },
    writeSet: {
      ok: (last?.violations.length ?? 0) === 0,
      violations: last?.violations ?? [],
      allowed: last?.allowed ?? [],
    },
    // The proof names each finding; its preview stays in the ledger.
    security: { findings: (last?.findings ?? []).map(({ path, line, rule }) => ({ path, line, rule })) },
    approvals: s.approvals,
    artifacts,
    ledger: { headHash: head.hash, events: events.length, headSeq: head.seq },
    timings: {
      startedAt: s.startedAt,
      finishedAt: head.ts,
      durationMs: Number.isFinite(ended - started) ? ended - started : 0,
    },
    usage: s.usage.inputTokens + s.usage.outputTokens > 0 || s.usage.costUsd > 0 ? s.usage : null,
    omk: { version: omkVersion },
    ...(s.confinement === null ? {} : { confinement: s.confinement }),
  };
}
