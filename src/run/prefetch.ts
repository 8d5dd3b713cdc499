import { realpathSync } from "node:fs";
import { mkdir, rmdir } from "node:fs/promises";
import { dirname } from "node:path";
import { newId } from "../core/ids.js";
import { findTopLevel } from "../git/dirs.js";
import { headCommitFromFiles } from "../git/refs-files.js";
import { warmGitGuard } from "../git/runner.js";
import { addWorktree } from "../git/worktree.js";
import type { RepoFingerprint } from "../project/fingerprint.js";
import { runCheckout } from "../project/locate.js";
import { removeWorktreeAndBranch } from "../project/throwaway.js";
import { repoFingerprint } from "./repo-check.js";

/**
 * `omk run` starts the repository's first git processes — the guard's config read, the preflight
 * fingerprint's status and, for a run from HEAD, the checkout of its worktree — before it loads the
 * rest of the run's code, which keeps the main thread busy for ~150 ms on the benchmark VM while git
 * could already be working. Only where the work tree's top level is found without git (findTopLevel);
 * anywhere else the run reads everything itself, as before.
 */
const prefetched = new Map<string, Promise<RepoFingerprint>>();

/**
 * A run's worktree checked out before the run exists (its ledger needs the run's code, its config and
 * its agent): a run from the same commit takes it over with its id; anything else removes it again.
 */
export interface EarlyWorktree {
  root: string;
  runId: string;
  base: string;
  worktree: string;
  branch: string;
  /** Settles once git has checked it out (or failed to). */
  ready: Promise<"created" | "reattached">;
}

const earlyWorktrees = new Map<string, EarlyWorktree>();

export interface PrefetchOptions {
  /** Also check out the worktree of a run from HEAD (the caller takes or discards it). */
  worktree?: boolean | undefined;
}

/** Starts the reads for the repository at `cwd`; returns the fingerprint being taken (tests wait for it). */
export function prefetchRun(cwd: string, opts: PrefetchOptions = {}): Promise<RepoFingerprint> | undefined {
  let root: string | undefined;
  try {
    root = findTopLevel(realpathSync(cwd));
  } catch {
    return undefined;
  }
  if (root === undefined) return undefined;
  // Prefetched already (by `omk`'s entry, before the CLI loaded) and not yet taken: that one stands.
  let fingerprint = prefetched.get(root);
  if (fingerprint === undefined) {
    warmGitGuard(root);
    fingerprint = repoFingerprint(root);
    fingerprint.catch(() => {});
    prefetched.set(root, fingerprint);
  }
  if (opts.worktree === true && !earlyWorktrees.has(root)) startEarlyWorktree(root);
  return fingerprint;
}

function startEarlyWorktree(root: string): void {
  // HEAD as its files name it; anything less plain (an unborn branch, a symref) is left to the run.
  const base = headCommitFromFiles(root);
  if (typeof base !== "string") return;
  const runId = newId("run");
  const { worktree, branch } = runCheckout(root, runId);
  // What ensureWorktree does for a new run, without loading the workspace module (its secret scan).
  const ready = mkdir(dirname(worktree), { recursive: true }).then(() =>
    addWorktree(root, worktree, branch, base, { ifBranchExists: "fail" }),
  );
  ready.catch(() => {});
  earlyWorktrees.set(root, { root, runId, base, worktree, branch, ready });
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

/** The early worktree of `root`, handed out once: the taker adopts it or discards it. */
export function takeEarlyWorktree(root: string): EarlyWorktree | undefined {
  const early = earlyWorktrees.get(root);
  earlyWorktrees.delete(root);
  return early;
}

/** Removes an early worktree nobody adopted: its checkout, git's record of it, and its branch. */
export async function discardEarlyWorktree(early: EarlyWorktree): Promise<void> {
  await early.ready.catch(() => {});
  await removeWorktreeAndBranch(early.root, early.worktree, early.branch);
  // The worktrees dir too when nothing else is in it: a refused run leaves the repository as it was.
  await rmdir(dirname(early.worktree)).catch(() => {});
}

/** Discards every early worktree still untaken (the command failed before a run took it). */
export async function discardEarlyWorktrees(): Promise<void> {
  const all = [...earlyWorktrees.values()];
  earlyWorktrees.clear();
  await Promise.all(all.map(discardEarlyWorktree));
}
