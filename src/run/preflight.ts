import { OmkError } from "../core/errors.js";
import { branchCommit, currentBranch } from "../git/refs.js";

/**
 * A run starts from a commit: a repository whose branch has none yet is a usage error with the way
 * out, not a git failure.
 */
export async function assertHasCommits(root: string): Promise<void> {
  const branch = await currentBranch(root);
  if (branch === null || (await branchCommit(root, branch)) !== null) return;
  throw new OmkError("USAGE", `branch ${branch} has no commits yet: a run starts from a commit`, {
    hint: 'make a first commit (git add -A && git commit -m "initial commit"), then run omk again',
  });
}
