import type { RunJournal } from "../journal/run-journal.js";
import {
  changeRunsCode,
  diffFingerprints,
  fingerprintRepo,
  gitDirFilesUnchanged,
  type RepoFingerprint,
} from "../project/fingerprint.js";

/**
 * Other runs move their own branches, and a goal moves its integration branch while its lanes' agents
 * work (the goal checks that branch itself: it only moves by compare-and-swap from the recorded head);
 * everything else of the repository must hold still.
 */
const RUN_BRANCHES = "refs/heads/omk/run/";
const GOAL_BRANCHES = "refs/heads/omk/goal/";
const OTHERS_BRANCHES = { excludeRefPrefixes: [RUN_BRANCHES, GOAL_BRANCHES] } as const;

/**
 * Compares the repository outside the run's worktree with `before`; a change is a RepoTampered
 * finding that blocks the attempt. When the agent and the gates were `confined`, their sandbox kept
 * refs, HEAD, packed-refs and the main checkout read-only: a change there is someone else's (the
 * person's fetch, commit or edit) and is noted (OutsideChanged) without blocking. What makes git run
 * programs or hide files (config, hooks, info/, object alternates, which sit in the writable object
 * store) blocks either way. Returns the fingerprint to compare against next, or null after tampering
 * (there is nothing trustworthy to compare with any more).
 */
export async function checkRepository(
  journal: RunJournal,
  root: string,
  attempt: number,
  before: RepoFingerprint | null,
  confined = false,
): Promise<RepoFingerprint | null> {
  const after = await repoFingerprint(root);
  if (before === null) return after;
  const changes = diffFingerprints(before, after);
  if (changes.length === 0) return after;
  const blocking = confined ? changes.filter(changeRunsCode) : changes;
  const noted = confined ? changes.filter((c) => !changeRunsCode(c)) : [];
  if (noted.length > 0) await journal.append("OutsideChanged", { attempt, changes: noted, confined: true });
  if (blocking.length === 0) return after;
  await journal.append("RepoTampered", { attempt, changes: blocking });
  return null;
}

/** The repository as the run must leave it: everything but the runs' own branches. */
export function repoFingerprint(root: string): Promise<RepoFingerprint> {
  return fingerprintRepo(root, OTHERS_BRANCHES);
}

/**
 * Nothing in the git dir that could make git run a program or hide a file changed since `before`: git
 * may work in the run's worktree (the snapshot) while the rest of the repository is still being checked.
 */
export function gitDirUnchanged(root: string, before: RepoFingerprint): Promise<boolean> {
  return gitDirFilesUnchanged(root, before, OTHERS_BRANCHES);
}
