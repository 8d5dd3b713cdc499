import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { runGates } from "../gates/runner.js";
import type { GateSpec } from "../gates/schema.js";
import { branchCommit } from "../git/refs.js";
import { parentsOf, treeOf } from "../git/snapshot.js";
import type { TypedEvent } from "../journal/events.js";
import { finishedRunProblems } from "../journal/integrity.js";
import { type ReadRunJournal, readRunJournal } from "../journal/run-journal.js";
import { projectRun } from "../journal/state.js";
import { acquireGateWorkspace, type WorkspaceSpawners } from "../project/gate-workspace.js";
import type { RunLocation } from "../project/locate.js";
import type { Project } from "../project/open.js";
import { buildProof } from "./build.js";
import { type Proof, ProofSchema } from "./schema.js";
import { receiptCheck } from "./verify-run-receipt.js";

export interface ProofCheck {
  name: "ledger" | "integrity" | "proof" | "artifacts" | "branch" | "commit" | "receipt" | "gates";
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
 * Independent re-verification of a finished run: the ledger chain, what the chain alone cannot catch
 * (events after the end, a lagging head, unnamed artifacts), proof.json against the ledger, artifact
 * hashes, the branch head, the commit's tree and parent against the recorded tree, and finally the
 * recorded gate argv re-run on that tree in a gate workspace. Every check runs even after one fails,
 * so the report is complete.
 */
/**
 * Who runs the re-run gates and their `[workspace] setup` in gate workspace `dir`, and how that is
 * confined, in words for the report ("confined", "unconfined: …"). The caller decides (the sandbox is
 * planned above this layer); without one, both run unconfined.
 */
export type GateConfinement = (dir: string) => Promise<WorkspaceSpawners & { how: string }>;

export async function verifyProof(opts: {
  project: Project;
  loc: RunLocation;
  rerunGates: boolean;
  signal?: AbortSignal | undefined;
  onGateResult?: ((name: string, status: string, recorded: string | null) => void) | undefined;
  confine?: GateConfinement | undefined;
}): Promise<ProofVerifyResult> {
  const { loc, project } = opts;
  const journal = await readRunJournal(loc.dir);
  const checks: ProofCheck[] = [ledgerCheck(journal)];
  const integrity = await finishedRunProblems(loc.dir, journal);
  checks.push({
    name: "integrity",
    ok: integrity.length === 0,
    detail: integrity.join("; ") || "nothing after the final event, head matches, every artifact named",
  });
  const { proof, check } = await proofCheck(loc, journal);
  checks.push(check);
  checks.push(await artifactsCheck(loc, proof));

  const head = proof?.headCommit ?? null;
  const branchHead = (await branchCommit(project.root, loc.branch)) ?? "";
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
  if (proof?.tree && head !== null) checks.push(await commitCheck(project.root, proof, head));
  if (proof?.tree && head !== null) checks.push(await receiptCheck(project.dirs, loc.dir, journal, proof));

  if (opts.rerunGates && head !== null && proof) checks.push(await rerunGates(opts, proof));
  return { ok: checks.every((c) => c.ok), runId: loc.runId, status: proof?.status ?? null, checks };
}

function ledgerCheck(journal: ReadRunJournal): ProofCheck {
  const { verify } = journal;
  const bad = verify.problems.filter((p) => p.kind !== "torn_tail");
  const undecodable = [
    ...journal.unknown.map(
      (u) =>
        `seq ${u.seq}: event kind ${JSON.stringify(u.kind)} is unknown to this omk (written by a newer one?)`,
    ),
    ...journal.invalid.map((i) => i.message),
  ];
  const ok = verify.ok && bad.length === 0 && undecodable.length === 0;
  return {
    name: "ledger",
    ok,
    detail: ok
      ? `${verify.events} events, chain intact${afterProof(journal)}`
      : [...bad.map((p) => `seq ${p.seq ?? "?"} ${p.kind}: ${p.message}`), ...undecodable].join("; ") ||
        "ledger does not verify",
  };
}

/**
 * The proof covers the events before its own ProofWritten; say how the ledger's count relates to the
 * one `proof show` prints, so the two never seem to disagree.
 */
function afterProof(journal: ReadRunJournal): string {
  // The last one: a run reopened with a bigger budget has a proof per ending, and proof.json is the latest.
  const written = journal.events.findLast((e) => e.kind === "ProofWritten");
  if (!written) return "";
  const covered = journal.events.filter((e) => e.seq < written.seq).length;
  const after = journal.events.filter((e) => e.seq >= written.seq).map((e) => e.kind);
  return ` (the proof covers the first ${covered}, then ${after.join(", ")})`;
}

async function proofCheck(
  loc: RunLocation,
  journal: ReadRunJournal,
): Promise<{ proof: Proof | null; check: ProofCheck }> {
  const { events } = journal;
  let proof: Proof;
  let raw: Buffer;
  try {
    raw = await readFile(loc.proofFile);
    proof = ProofSchema.parse(JSON.parse(raw.toString("utf8")));
  } catch (err) {
    return {
      proof: null,
      check: {
        name: "proof",
        ok: false,
        detail: `cannot read proof.json: ${(err as Error).message.split("\n")[0]}`,
      },
    };
  }
  const problems: string[] = [];
  const sha = createHash("sha256").update(raw).digest("hex");
  const written = events.findLast((e): e is TypedEvent<"ProofWritten"> => e.kind === "ProofWritten");
  if (!written) problems.push("the ledger has no ProofWritten event");
  else if (written.data.sha256 !== sha)
    problems.push("proof.json sha256 differs from the one recorded in the ledger");
  try {
    const upto = events.filter((e) => e.seq <= proof.ledger.headSeq);
    const expected = buildProof(projectRun(upto), upto, proof.omk.version);
    if (JSON.stringify(expected) !== JSON.stringify(proof))
      problems.push("proof.json differs from the proof rebuilt from the ledger");
  } catch (err) {
    problems.push(`the proof cannot be rebuilt from the ledger: ${(err as Error).message}`);
  }
  return {
    proof,
    check: {
      name: "proof",
      ok: problems.length === 0,
      detail: problems.join("; ") || `status ${proof.status}, matches the ledger`,
    },
  };
}

async function artifactsCheck(loc: RunLocation, proof: Proof | null): Promise<ProofCheck> {
  const problems: string[] = [];
  for (const a of proof?.artifacts ?? []) {
    try {
      const sha = createHash("sha256")
        .update(await readFile(join(loc.dir, a.path)))
        .digest("hex");
      if (sha !== a.sha256) problems.push(`${a.path}: sha256 mismatch`);
    } catch {
      problems.push(`${a.path}: missing`);
    }
  }
  return {
    name: "artifacts",
    ok: problems.length === 0,
    detail: problems.join("; ") || `${proof?.artifacts.length ?? 0} artifact(s) match`,
  };
}

/** The commit holds exactly the judged tree, on the run's base, and nothing else. */
async function commitCheck(root: string, proof: Proof, head: string): Promise<ProofCheck> {
  const [tree, parents] = await Promise.all([
    treeOf(root, head).catch(() => ""),
    parentsOf(root, head).catch(() => [] as string[]),
  ]);
  const problems: string[] = [];
  if (tree !== proof.tree)
    problems.push(
      `commit tree ${tree.slice(0, 12) || "(none)"} is not the judged tree ${proof.tree?.slice(0, 12)}`,
    );
  if (parents.length !== 1 || parents[0] !== proof.repo.baseCommit)
    problems.push(
      `commit parents [${parents.map((p) => p.slice(0, 12)).join(", ")}] are not the base ${proof.repo.baseCommit.slice(0, 12)}`,
    );
  return {
    name: "commit",
    ok: problems.length === 0,
    detail:
      problems.join("; ") || `${head.slice(0, 12)} holds the judged tree ${tree.slice(0, 12)} on the base`,
  };
}

/**
 * The recorded argv, re-run on the recorded commit's tree in a gate workspace. Today's gates.toml
 * supplies only what the proof does not record (explicit env, timeout); where it defines a gate
 * differently, the report says so beside the verdict.
 */
async function rerunGates(opts: Parameters<typeof verifyProof>[0], proof: Proof): Promise<ProofCheck> {
  const { project } = opts;
  const today = new Map(project.gates.gates.map((g) => [g.name, g]));
  const specs: GateSpec[] = [];
  const differs: string[] = [];
  for (const r of proof.gates) {
    const now = today.get(r.name);
    const [command = "", ...args] = r.argv;
    if (now === undefined) differs.push(`${r.name} is no longer defined`);
    else if (JSON.stringify([now.command, ...now.args]) !== JSON.stringify(r.argv) || now.cwd !== r.cwd)
      differs.push(`${r.name} is now \`${[now.command, ...now.args].join(" ")}\` in ${now.cwd}`);
    specs.push({
      name: r.name,
      command,
      args,
      cwd: r.cwd,
      env: now?.env ?? {},
      required: r.required,
      allowFail: r.allowFail,
      skip: false,
      timeoutSecs: now?.timeoutSecs ?? 1800,
    });
  }
  const gw = await acquireGateWorkspace(project);
  try {
    const commit = proof.headCommit as string;
    // The run's code (its lockfile's install scripts, its tests) runs here, on the verifier's machine.
    const confined = await opts.confine?.(gw.dir);
    const how = ` (${confined?.how ?? "unconfined"})`;
    const setup = await gw.prepare(await treeOf(project.root, commit), project.config.workspace, {
      parentEnv: project.env,
      signal: opts.signal,
      proc: confined?.setup,
    });
    if (!setup.ok)
      return { name: "gates", ok: false, detail: `workspace setup failed: ${setup.detail}${how}` };
    const result = await runGates(specs, {
      root: gw.dir,
      parentEnv: project.env,
      signal: opts.signal,
      ...(confined === undefined ? {} : { proc: confined.gates }),
      onGateResult: (e) =>
        opts.onGateResult?.(e.name, e.status, proof.gates.find((r) => r.name === e.name)?.status ?? null),
    });
    const disagree = result.gates.filter(
      (e) => proof.gates.find((r) => r.name === e.name)?.status !== e.status,
    );
    const parts = disagree.map(
      (e) => `${e.name}: recorded ${proof.gates.find((r) => r.name === e.name)?.status}, now ${e.status}`,
    );
    const note = differs.length > 0 ? ` (note: today's .omk/gates.toml differs: ${differs.join("; ")})` : "";
    return {
      name: "gates",
      ok: parts.length === 0,
      detail: `${parts.join("; ") || `${result.gates.length} gate(s) re-run with the recorded argv agree with the proof`}${how}${note}`,
    };
  } finally {
    await gw.release();
  }
}
