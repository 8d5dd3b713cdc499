import { OmkError } from "../core/errors.js";
import { currentBranch } from "../git/refs.js";
import { readRunJournal } from "../journal/run-journal.js";
import type { ProjectLocation, RunLocation } from "../project/locate.js";

export interface LandPrecheck {
  /** The run already landed: nothing to do. */
  alreadyLanded: { commit: string; fastForward: boolean } | null;
}

/**
 * What `omk land` settles before any check or gate runs: a run that already landed is nothing to do
 * (not an error), and a detached HEAD is refused with the way out, since landing moves a branch.
 */
export async function landPrecheck(project: ProjectLocation, loc: RunLocation): Promise<LandPrecheck> {
  const s = (await readRunJournal(loc.dir)).state;
  if (s?.landed) return { alreadyLanded: { ...s.landed } };
  if ((await currentBranch(project.root)) === null) {
    const to = s?.baseBranch ?? "<branch>";
    throw new OmkError("LAND_REFUSED", "HEAD is detached: omk land moves a branch, and none is checked out", {
      hint: `git switch ${to}${s?.baseBranch ? " (the branch the run started from)" : ""}, then omk land ${loc.runId}`,
    });
  }
  return { alreadyLanded: null };
}
