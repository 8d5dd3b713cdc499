import { readFile } from "node:fs/promises";
import { OmkError } from "../core/errors.js";
import { resolveRunId } from "../project/locate.js";
import type { Project } from "../project/open.js";
import { type Proof, ProofSchema } from "./schema.js";
import { type GateConfinement, type ProofVerifyResult, verifyProof } from "./verify.js";

export async function loadProof(project: Project, id: string): Promise<Proof> {
  const loc = await resolveRunId(project, id);
  let raw: string;
  try {
    raw = await readFile(loc.proofFile, "utf8");
  } catch {
    throw new OmkError("RUN_NOT_FOUND", `run ${loc.runId} has no proof yet`, {
      hint: `it may still be running or interrupted: omk run resume ${loc.runId}`,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  const parsed = ProofSchema.safeParse(json);
  if (!parsed.success)
    throw new OmkError("PROOF_INVALID", `proof.json of ${loc.runId} does not match omk.proof/v1`, {
      hint: `omk proof verify ${loc.runId}`,
    });
  return parsed.data;
}

export async function verifyRunProof(
  project: Project,
  id: string,
  opts: {
    rerunGates: boolean;
    signal?: AbortSignal | undefined;
    onGateResult?: (name: string, status: string, recorded: string | null) => void;
    confine?: GateConfinement | undefined;
  },
): Promise<ProofVerifyResult> {
  const loc = await resolveRunId(project, id);
  return verifyProof({
    project,
    loc,
    rerunGates: opts.rerunGates,
    signal: opts.signal,
    onGateResult: opts.onGateResult,
    confine: opts.confine,
  });
}
