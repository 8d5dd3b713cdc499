import { type ChangedFile, parseDiffSummary } from "./parse.js";
import { checkRevArg, git } from "./runner.js";
import { gitlinksInIndex, stageAll } from "./stage.js";

/**
 * Options that pin diff output regardless of the user's diff.* config (renames, relative paths,
 * external drivers, textconv, colour), so what omk records is the same on every machine.
 */
export const PINNED_DIFF_ARGS: readonly string[] = [
  "-M",
  "--no-relative",
  "--no-ext-diff",
  "--no-textconv",
  "--no-color",
  "--submodule=short",
];

/**
 * Stage everything in the worktree (`git add -A`, untracked files included; submodules as `stageAll`
 * stages them) and describe the staged change against `base`. Raw and numstat records come from one
 * git call so they always describe the same rename pairing; binary files have null line counts.
 */
export async function stageAndDiff(
  worktree: string,
  base: string,
): Promise<{ files: ChangedFile[]; added: number; deleted: number }> {
  checkRevArg(base, "base revision");
  const g = git(worktree);
  await stageAll(g, await gitlinksInIndex(g));
  const r = await g([
    "-c",
    "core.quotepath=off",
    "diff",
    "--cached",
    "--raw",
    "--numstat",
    "-z",
    ...PINNED_DIFF_ARGS,
    base,
    "--",
  ]);
  return parseDiffSummary(r.stdout);
}
