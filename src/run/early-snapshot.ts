import { snapshotTree } from "../git/snapshot.js";
import type { RunState } from "../journal/state.js";
import type { RepoFingerprint } from "../project/fingerprint.js";
import { gitDirUnchanged } from "./repo-check.js";

/**
 * An attempt's snapshot begun while the rest of the repository is still being checked after its turn
 * (the status of the main checkout and the refs take a git process; the snapshot, others). The
 * snapshot is git working in the agent's worktree, so it starts only once what could make git run a
 * program or hide a file — the git dir's config, hooks, info/ and alternates, read in process — is as
 * it was before the turn. An attempt the check blocks never uses it.
 */
export interface EarlySnapshot {
  attempt: number;
  tree: Promise<string>;
}

/** The snapshot of attempt `n`, begun now when the git dir is as `before`; else the evaluation takes it. */
export async function startEarlySnapshot(
  s: RunState,
  n: number,
  before: RepoFingerprint,
  indexFile: string,
): Promise<EarlySnapshot | undefined> {
  if (!(await gitDirUnchanged(s.root, before).catch(() => false))) return undefined;
  const tree = snapshotTree(s.worktree, s.base, indexFile);
  tree.catch(() => {});
  return { attempt: n, tree };
}
