import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Recording, sha256Hex } from "../agents/replay/recording.js";
import { OmkError } from "../core/errors.js";
import { requireRepoRoot } from "../git/index.js";
import { readLedger } from "../store/ledger/index.js";
import { locateProject, resolveRunId } from "./locate.js";
import { projectRun, type RunState } from "./state.js";

/** A run's per-attempt patches as a replayable recording (`omk run export`, `--agent replay:<run>`). */
export async function exportRecording(runDir: string, s: RunState): Promise<Recording> {
  const attempts: Recording["attempts"] = [];
  for (const a of s.attempts) {
    if (!a.diff?.patchFile) continue;
    const patch = await readFile(join(runDir, a.diff.patchFile), "utf8");
    const sha256 = sha256Hex(patch);
    if (a.diff.patchSha256 && sha256 !== a.diff.patchSha256) {
      throw new OmkError(
        "PROOF_INVALID",
        `artifact ${a.diff.patchFile} of run ${s.runId} does not match the ledger's sha256`,
        {
          hint: "the run's state was modified after the fact; run `omk proof verify` for details",
        },
      );
    }
    attempts.push({ attempt: a.n, patch, sha256 });
  }
  if (attempts.length === 0) {
    throw new OmkError("USAGE", `run ${s.runId} has no recorded patches to export`, {
      hint: "only attempts that changed files and passed the secret scan keep a patch",
    });
  }
  return { schema: "omk.recording/v1", task: s.task, source: { runId: s.runId, base: s.base }, attempts };
}

/** `omk run export <run>`: the recording of a run found by id, prefix, suffix or `last`. */
export async function exportRun(cwd: string, id: string): Promise<Recording> {
  const project = await locateProject(await requireRepoRoot(cwd));
  const loc = await resolveRunId(project, id);
  const { events } = await readLedger(loc.dir);
  return exportRecording(loc.dir, projectRun(events));
}
