import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkRevArg, git } from "./runner.js";

/**
 * The bytes of `paths` as they are at `rev`, exactly (git's stdout passes through omk's redactor, so
 * it cannot carry file contents faithfully): the tree goes into a private index and checkout-index
 * writes the files to a private temp dir. A path missing at `rev` maps to null.
 */
export async function filesAt(
  root: string,
  rev: string,
  paths: readonly string[],
): Promise<Map<string, string | null>> {
  checkRevArg(rev, "revision");
  const dir = await mkdtemp(join(tmpdir(), "omk-at-"));
  const out = new Map<string, string | null>();
  try {
    const env = { GIT_INDEX_FILE: join(dir, "index") };
    const g = git(root);
    await g(["read-tree", rev], { env });
    const files = join(dir, "files");
    // Paths not at `rev` make checkout-index complain and exit non-zero; the others are still written.
    await g(["checkout-index", "--force", `--prefix=${files}/`, "--", ...paths], { env, allowFail: true });
    for (const p of paths) out.set(p, await readFile(join(files, p), "utf8").catch(() => null));
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
