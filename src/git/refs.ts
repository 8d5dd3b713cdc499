import { OmkError } from "../core/errors.js";
import { parseRefList, type RefEntry } from "./parse.js";
import { checkRevArg, git } from "./runner.js";

/** Full commit id of `rev` (default HEAD). An unborn HEAD is an error with a hint, not an empty string. */
export async function headCommit(root: string, rev = "HEAD"): Promise<string> {
  checkRevArg(rev, "revision");
  const g = git(root);
  const r = await g(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { okCodes: [1] });
  const sha = r.stdout.trim();
  if (r.code === 0 && sha !== "") return sha;
  if (rev === "HEAD") {
    const branch = await currentBranch(root);
    throw new OmkError("GIT_FAILED", `${branch === null ? "HEAD" : `branch ${branch}`} has no commits yet`, {
      hint: "make a first commit (git commit), then run omk again",
      details: { cwd: root },
    });
  }
  throw new OmkError("GIT_FAILED", `unknown revision ${JSON.stringify(rev)} (not a commit)`, {
    hint: "check the branch or commit name (git log --oneline)",
    details: { cwd: root, rev },
  });
}

/** Short name of the checked-out branch (also when it has no commits yet); null when HEAD is detached. */
export async function currentBranch(root: string): Promise<string | null> {
  const r = await git(root)(["symbolic-ref", "--quiet", "--short", "HEAD"], { okCodes: [1] });
  const name = r.stdout.trim();
  return r.code === 0 && name !== "" ? name : null;
}

export async function branchExists(root: string, branch: string): Promise<boolean> {
  checkRevArg(branch, "branch");
  const r = await git(root)(["show-ref", "--verify", "--quiet", `refs/heads/${branch}`], { okCodes: [1] });
  return r.code === 0;
}

/** Commit the local branch points at, or null when there is no such branch. */
export async function branchCommit(root: string, branch: string): Promise<string | null> {
  checkRevArg(branch, "branch");
  const r = await git(root)(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`], {
    okCodes: [1],
  });
  const sha = r.stdout.trim();
  return r.code === 0 && sha !== "" ? sha : null;
}

/** `force` deletes an unmerged branch too; a branch checked out in some worktree is never deleted. */
export async function deleteBranch(
  root: string,
  branch: string,
  opts: { force?: boolean } = {},
): Promise<void> {
  checkRevArg(branch, "branch");
  await git(root)(["branch", opts.force ? "-D" : "-d", "--", branch]);
}

/** True when commit `a` is reachable from `b` (a commit is its own ancestor). */
export async function isAncestor(root: string, a: string, b: string): Promise<boolean> {
  checkRevArg(a, "revision");
  checkRevArg(b, "revision");
  const r = await git(root)(["merge-base", "--is-ancestor", a, b], { okCodes: [1] });
  return r.code === 0;
}

/** Every ref (`git for-each-ref`: loose and packed; not HEAD), sorted by name. */
export async function listRefs(root: string): Promise<RefEntry[]> {
  const r = await git(root)(["for-each-ref", "--format=%(refname)%00%(objectname)%00%(symref)"]);
  return parseRefList(r.stdout);
}
