/**
 * Whether this process has run `[workspace] setup` commands on a tree the agent wrote (a gate
 * workspace's dependency install of the agent's lockfile, a rebuilt worktree's setup). Those run
 * outside any sandbox and may leave processes behind, so from then on no change outside a worktree
 * can be put down to the person because a run was confined (see run/repo-check.ts). Process-wide:
 * a goal's lanes share the process, and a leftover of one lane's setup could act during another's turn.
 */
let ran = false;

export function noteUnconfinedSetup(): void {
  ran = true;
}

export function unconfinedSetupRan(): boolean {
  return ran;
}
