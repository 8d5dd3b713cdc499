import { parseGitlinksZ } from "./parse.js";
import type { GitRunner } from "./runner.js";

/**
 * `git add --all` for the whole work tree, without letting git look inside submodule work trees.
 *
 * For every submodule entry in the index whose directory holds a repository, `git add` runs
 * `git status` inside that repository (to see whether it is dirty), under that repository's own config
 * and attributes — which the agent can write (`.git/modules/<name>/config`, or a repository it made in
 * its worktree), and which the guard cannot see. So submodule paths are excluded from the `add`, and
 * staged by `git update-index`, which records a populated submodule's HEAD in-process, removes a
 * deleted one, takes a file that replaced one, and leaves an unpopulated one alone: what `add --all`
 * does for them, without the status. `gitlinks` are the submodule paths in the index.
 */
export async function stageAll(
  g: GitRunner,
  gitlinks: readonly string[],
  env?: Readonly<Record<string, string>>,
): Promise<void> {
  const opts = env === undefined ? {} : { env };
  if (gitlinks.length === 0) {
    await g(["add", "--all", "--", "."], opts);
    return;
  }
  const pathspecs = [".", ...gitlinks.map((p) => `:(exclude,literal,top)${p}`)];
  await g(["add", "--all", "--pathspec-from-file=-", "--pathspec-file-nul"], {
    ...opts,
    input: `${pathspecs.join("\0")}\0`,
  });
  await g(["update-index", "--add", "--remove", "-z", "--stdin"], {
    ...opts,
    input: `${gitlinks.join("\0")}\0`,
  });
}

/** Submodule paths in the index (`GIT_INDEX_FILE` in `env`, or the work tree's own). */
export async function gitlinksInIndex(
  g: GitRunner,
  env?: Readonly<Record<string, string>>,
): Promise<string[]> {
  const r = await g(["ls-files", "--stage", "-z"], env === undefined ? {} : { env });
  return parseGitlinksZ(r.stdout);
}
