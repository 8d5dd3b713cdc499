import { readFile } from "node:fs/promises";
import { OmkError } from "../core/errors.js";
import { requireRepoRoot } from "../git/index.js";
import { loadProjectConfig } from "../run/config-load.js";
import { locateProject, resolveRunId } from "../run/locate.js";
import { gatesForTree } from "../run/verify-tree.js";
import { type Proof, ProofSchema } from "./schema.js";
import { type ProofVerifyResult, verifyProof } from "./verify.js";

export async function loadProof(cwd: string, id: string): Promise<Proof> {
  const project = await locateProject(await requireRepoRoot(cwd));
  const loc = await resolveRunId(project, id);
  let raw: string;
  try {
    raw = await readFile(loc.proofFile, "utf8");
  } catch {
    throw new OmkError("RUN_NOT_FOUND", `run ${loc.runId} has no proof yet`, {
      hint: `it may still be running or interrupted: omk run resume ${loc.runId}`,
    });
  }
  const parsed = ProofSchema.safeParse(JSON.parse(raw));
  if (!parsed.success)
    throw new OmkError("PROOF_INVALID", `proof.json of ${loc.runId} does not match omk.proof/v1`, {
      hint: `omk proof verify ${loc.runId}`,
    });
  return parsed.data;
}

export async function verifyRunProof(
  cwd: string,
  id: string,
  opts: {
    rerunGates: boolean;
    signal?: AbortSignal | undefined;
    onGateResult?: (name: string, status: string, recorded: string | null) => void;
  },
): Promise<ProofVerifyResult> {
  const root = await requireRepoRoot(cwd);
  const project = await locateProject(root);
  const loc = await resolveRunId(project, id);
  return verifyProof({
    root: project.root,
    loc,
    config: await loadProjectConfig(project.root),
    gates: (await gatesForTree(project.root)).gates,
    rerunGates: opts.rerunGates,
    parentEnv: process.env,
    signal: opts.signal,
    onGateResult: opts.onGateResult,
  });
}
