import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { runGates } from "../gates/runner.js";
import { branchCommit } from "../git/refs.js";
import type { TypedEvent } from "../journal/events.js";
import { readRunJournal } from "../journal/run-journal.js";
import { projectRun } from "../journal/state.js";
import type { RunLocation } from "../project/locate.js";
import type { Project } from "../project/open.js";
import { withThrowawayWorktree } from "../project/throwaway.js";
import { prepareWorkspace } from "../project/workspace.js";
import { buildProof } from "./build.js";
import { ProofSchema } from "./schema.js";

export interface ProofCheck {
  name: "ledger" | "proof" | "artifacts" | "branch" | "gates";
  ok: boolean;
  detail: string;
}

export interface ProofVerifyResult {
  ok: boolean;
  runId: string;
  status: string | null;
  checks: ProofCheck[];
}

/**
 * Independent re-verification of a finished run: the ledger chain, proof.json against the ledger,
 * artifact hashes, the branch head, and finally the gates re-run on the recorded commit in a
 * throwaway worktree. Every check runs even after one fails, so the report is complete.
 */
export async function verifyProof(opts: {
  project: Project;
  loc: RunLocation;
  rerunGates: boolean;
  signal?: AbortSignal | undefined;
  onGateResult?: ((name: string, status: string, recorded: string | null) => void) | undefined;
}): Promise<ProofVerifyResult> {
  const { loc } = opts;
  const checks: ProofCheck[] = [];
  const journal = await readRunJournal(loc.dir);
  const { events, verify } = journal;
  const bad = verify.problems.filter((p) => p.kind !== "torn_tail");
  const undecodable = [
    ...journal.unknown.map(
      (u) =>
        `seq ${u.seq}: event kind ${JSON.stringify(u.kind)} is unknown to this omk (written by a newer one?)`,
    ),
    ...journal.invalid.map((i) => i.message),
  ];
  checks.push({
    name: "ledger",
    ok: verify.ok && bad.length === 0 && undecodable.length === 0,
    detail:
      verify.ok && bad.length === 0 && undecodable.length === 0
        ? `${verify.events} events, chain intact`
        : [...bad.map((p) => `seq ${p.seq ?? "?"} ${p.kind}: ${p.message}`), ...undecodable].join("; ") ||
          "ledger does not verify",
  });

  let proof: ReturnType<typeof ProofSchema.parse> | null = null;
  try {
    const raw = await readFile(loc.proofFile);
    proof = ProofSchema.parse(JSON.parse(raw.toString("utf8")));
    const sha = createHash("sha256").update(raw).digest("hex");
    const written = events.findLast((e): e is TypedEvent<"ProofWritten"> => e.kind === "ProofWritten");
    const upto = proof.ledger.headSeq;
    const expected = buildProof(
      projectRun(events.filter((e) => e.seq <= upto)),
      events.filter((e) => e.seq <= upto),
      proof.omk.version,
    );
    const problems: string[] = [];
    if (!written) problems.push("the ledger has no ProofWritten event");
    else if (written.data.sha256 !== sha)
      problems.push("proof.json sha256 differs from the one recorded in the ledger");
    if (JSON.stringify(expected) !== JSON.stringify(proof))
      problems.push("proof.json differs from the proof rebuilt from the ledger");
    checks.push({
      name: "proof",
      ok: problems.length === 0,
      detail: problems.join("; ") || `status ${proof.status}, matches the ledger`,
    });
  } catch (err) {
    checks.push({
      name: "proof",
      ok: false,
      detail: `cannot read proof.json: ${(err as Error).message.split("\n")[0]}`,
    });
  }

  const artifactProblems: string[] = [];
  for (const a of proof?.artifacts ?? []) {
    try {
      const sha = createHash("sha256")
        .update(await readFile(join(loc.dir, a.path)))
        .digest("hex");
      if (sha !== a.sha256) artifactProblems.push(`${a.path}: sha256 mismatch`);
    } catch {
      artifactProblems.push(`${a.path}: missing`);
    }
  }
  checks.push({
    name: "artifacts",
    ok: artifactProblems.length === 0,
    detail: artifactProblems.join("; ") || `${proof?.artifacts.length ?? 0} artifact(s) match`,
  });

  const head = proof?.headCommit ?? null;
  const branchHead = (await branchCommit(opts.project.root, loc.branch)) ?? "";
  checks.push({
    name: "branch",
    ok: head !== null && branchHead === head,
    detail:
      head === null
        ? "the proof records no commit"
        : branchHead === head
          ? `${loc.branch} is at ${head.slice(0, 12)}`
          : `${loc.branch} is at ${branchHead.slice(0, 12) || "(missing)"}, proof says ${head.slice(0, 12)}`,
  });

  if (opts.rerunGates && head !== null && proof) {
    checks.push(await rerunGates(opts, head, proof.gates));
  }
  return { ok: checks.every((c) => c.ok), runId: loc.runId, status: proof?.status ?? null, checks };
}

async function rerunGates(
  opts: Parameters<typeof verifyProof>[0],
  commit: string,
  recorded: { name: string; status: string }[],
): Promise<ProofCheck> {
  const { project } = opts;
  return withThrowawayWorktree(project.root, "verify", commit, async (dir) => {
    const setup = await prepareWorkspace(project.root, dir, project.config.workspace, {
      parentEnv: project.env,
      signal: opts.signal,
      onStep: () => {},
    });
    if (!setup.ok) return { name: "gates", ok: false, detail: `workspace setup failed: ${setup.detail}` };
    const names = new Set(recorded.map((r) => r.name));
    const gates = project.gates.gates.filter((x) => names.has(x.name));
    const result = await runGates(gates, {
      root: dir,
      parentEnv: project.env,
      signal: opts.signal,
      onGateResult: (e) =>
        opts.onGateResult?.(e.name, e.status, recorded.find((r) => r.name === e.name)?.status ?? null),
    });
    const disagree = result.gates.filter((e) => recorded.find((r) => r.name === e.name)?.status !== e.status);
    const missing = recorded.filter((r) => !result.gates.some((e) => e.name === r.name));
    const parts = [
      ...disagree.map(
        (e) => `${e.name}: recorded ${recorded.find((r) => r.name === e.name)?.status}, now ${e.status}`,
      ),
      ...missing.map((r) => `${r.name}: recorded but no longer configured`),
    ];
    return {
      name: "gates",
      ok: parts.length === 0,
      detail: parts.join("; ") || `${result.gates.length} gate(s) agree with the proof`,
    };
  });
}
