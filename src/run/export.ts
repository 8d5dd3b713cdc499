import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Recording, sha256Hex } from "../agents/replay/recording.js";
import { OmkError } from "../core/errors.js";
import { assertWritable, readRunJournal } from "../journal/run-journal.js";
import type { RunState } from "../journal/state.js";
import { type ProjectLocation, resolveRunId } from "../project/locate.js";

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
export async function exportRun(project: ProjectLocation, id: string): Promise<Recording> {
  const loc = await resolveRunId(project, id);
  return exportRecording(loc.dir, assertWritable(await readRunJournal(loc.dir), loc.runId));
}
