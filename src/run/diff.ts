import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OmkError } from "../core/errors.js";
import { writeTreePatch } from "../git/patch.js";
import { diffTrees } from "../git/snapshot.js";
import { readRunJournal } from "../journal/run-journal.js";
import { type ProjectLocation, resolveRunId } from "../project/locate.js";

export interface RunDiffFile {
  path: string;
  status: string;
  /** Null for binary files. */
  added: number | null;
  deleted: number | null;
}

export interface RunDiff {
  runId: string;
  /** `commit`: the run's committed change (base..head); `attempt`: one attempt's recorded patch. */
  source: "commit" | "attempt";
  attempt: number | null;
  base: string;
  head: string | null;
  files: RunDiffFile[];
  added: number;
  deleted: number;
  /** The patch as git wrote it (binary, full index): `git apply` reproduces it. */
  patch: string;
}

/**
 * `omk run diff`: the run's change. Without `attempt`, the commit omk made of the judged tree, against
 * the base (from git's object store); with it, that attempt's recorded patch artifact, checked against
 * the sha256 the ledger recorded for it.
 */
export async function runDiff(
  project: ProjectLocation,
  id: string,
  o: { attempt?: number | undefined } = {},
): Promise<RunDiff> {
  const loc = await resolveRunId(project, id);
  const read = await readRunJournal(loc.dir);
  const s = read.state;
  if (s === null)
    throw new OmkError("LEDGER_CORRUPT", `run ${loc.runId} has an unreadable ledger`, {
      hint: `omk proof verify ${loc.runId}`,
    });
  if (o.attempt !== undefined) {
    const a = s.attempts.find((x) => x.n === o.attempt);
    if (!a)
      throw new OmkError("USAGE", `run ${s.runId} has no attempt ${o.attempt}`, {
        hint: `it has ${s.attempts.length === 0 ? "no attempts yet" : `attempts 1–${s.attempts.length}`}`,
      });
    if (!a.diff)
      throw new OmkError("USAGE", `attempt ${a.n} of run ${s.runId} recorded no diff`, {
        hint: "the agent's turn did not get that far; `omk run show` has what happened",
      });
    if (!a.diff.patchFile)
      throw new OmkError("USAGE", `attempt ${a.n} of run ${s.runId} kept no patch`, {
        hint: "patches are kept only for changes that passed the secret scan (or changed nothing)",
      });
    const patch = await readFile(join(loc.dir, a.diff.patchFile), "utf8").catch(() => {
      throw new OmkError("IO_FAILED", `cannot read ${a.diff?.patchFile} of run ${s.runId}`, {
        hint: `omk proof verify ${s.runId}`,
      });
    });
    const sha = createHash("sha256").update(patch).digest("hex");
    if (a.diff.patchSha256 && sha !== a.diff.patchSha256)
      throw new OmkError("PROOF_INVALID", `${a.diff.patchFile} of run ${s.runId} does not match the ledger`, {
        hint: `the run's state was modified after the fact: omk proof verify ${s.runId}`,
      });
    return {
      runId: s.runId,
      source: "attempt",
      attempt: a.n,
      base: s.base,
      head: null,
      files: a.diff.files.map((f) => ({
        path: f.path,
        status: f.status,
        added: f.added,
        deleted: f.deleted,
      })),
      added: a.diff.added,
      deleted: a.diff.deleted,
      patch,
    };
  }
  const head = s.committed?.commit ?? s.finished?.headCommit ?? null;
  if (head === null) {
    const last = s.attempts.findLast((a) => a.diff?.patchFile);
    throw new OmkError(
      "USAGE",
      `run ${s.runId} has no commit${s.finished ? "" : " yet (it has not finished)"}`,
      {
        hint: last
          ? `see an attempt's recorded patch: omk run diff ${s.runId} --attempt ${last.n}`
          : "no attempt recorded a patch either",
      },
    );
  }
  const dir = await mkdtemp(join(tmpdir(), "omk-diff-"));
  try {
    const file = join(dir, "run.patch");
    const [changes] = await Promise.all([
      diffTrees(project.root, s.base, head),
      writeTreePatch(project.root, s.base, head, file),
    ]);
    return {
      runId: s.runId,
      source: "commit",
      attempt: null,
      base: s.base,
      head,
      files: changes.files.map((f) => ({
        path: f.path,
        status: f.status,
        added: f.added,
        deleted: f.deleted,
      })),
      added: changes.added,
      deleted: changes.deleted,
      patch: await readFile(file, "utf8"),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
