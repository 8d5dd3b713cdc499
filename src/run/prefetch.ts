import { realpathSync } from "node:fs";
import { findTopLevel } from "../git/dirs.js";
import { warmGitGuard } from "../git/runner.js";
import type { RepoFingerprint } from "../project/fingerprint.js";
import { repoFingerprint } from "./repo-check.js";

/**
 * `omk run` starts the repository's first git processes — the guard's config read and the preflight
 * fingerprint's status — before it loads the rest of the run's code, which keeps the main thread busy
 * for ~150 ms on the benchmark VM while git could already be working. Only where the work tree's top
 * level is found without git (findTopLevel); anywhere else the run reads everything itself, as before.
 */
const prefetched = new Map<string, Promise<RepoFingerprint>>();

/** Starts the reads for the repository at `cwd`; returns the fingerprint being taken (tests wait for it). */
export function prefetchRun(cwd: string): Promise<RepoFingerprint> | undefined {
  let root: string | undefined;
  try {
    root = findTopLevel(realpathSync(cwd));
  } catch {
    return undefined;
  }
  if (root === undefined) return undefined;
  warmGitGuard(root);
  const fingerprint = repoFingerprint(root);
  fingerprint.catch(() => {});
  prefetched.set(root, fingerprint);
  return fingerprint;
}

/**
 * The fingerprint prefetchRun started for `root`, handed out once (it is the state before one run's
 * agent); a failed one is taken again, so its error is the one a run's own read gives.
 */
export function preflightFingerprint(root: string): Promise<RepoFingerprint> {
  const early = prefetched.get(root);
  prefetched.delete(root);
  return early === undefined ? repoFingerprint(root) : early.catch(() => repoFingerprint(root));
}
