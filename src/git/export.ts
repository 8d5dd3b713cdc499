import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkRevArg, git } from "./runner.js";

/** One file as it is at a revision: its blob id and its exact bytes. */
export interface BlobAt {
  oid: string;
  bytes: Buffer;
}

/**
 * The blobs of `paths` as they are at `rev`, exactly (git's stdout passes through omk's redactor, so
 * it cannot carry file contents faithfully): their entries go into a private index and checkout-index
 * writes the files to a private temp dir. A path missing at `rev` maps to null.
 */
export async function blobsAt(
  root: string,
  rev: string,
  paths: readonly string[],
): Promise<Map<string, BlobAt | null>> {
  checkRevArg(rev, "revision");
  const dir = await mkdtemp(join(tmpdir(), "omk-at-"));
  const out = new Map<string, BlobAt | null>();
  try {
    const env = { GIT_INDEX_FILE: join(dir, "index") };
    const g = git(root);
    // Only the wanted entries go into the private index: no read of the whole tree.
    const listed = await g(["ls-tree", "-z", "--full-tree", rev, "--", ...paths]);
    const entries = listed.stdout.split("\0").filter((e) => /^\d{6} blob [0-9a-f]+\t/.test(e));
    for (const p of paths) out.set(p, null);
    if (entries.length === 0) return out;
    const oids = new Map(entries.map((e) => [e.slice(e.indexOf("\t") + 1), e.split(/[ \t]/)[2] ?? ""]));
    await g(["update-index", "--index-info"], { env, input: `${entries.join("\n")}\n` });
    const files = join(dir, "files");
    await g(["checkout-index", "--all", "--force", `--prefix=${files}/`], { env });
    for (const p of paths) {
      const bytes = await readFile(join(files, p)).catch(() => null);
      const oid = oids.get(p);
      out.set(p, bytes === null || oid === undefined ? null : { oid, bytes });
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The text (UTF-8) of `paths` as they are at `rev`; see {@link blobsAt}. A path missing at `rev` maps to null. */
export async function filesAt(
  root: string,
  rev: string,
  paths: readonly string[],
): Promise<Map<string, string | null>> {
  const blobs = await blobsAt(root, rev, paths);
  return new Map([...blobs].map(([p, b]) => [p, b === null ? null : b.bytes.toString("utf8")]));
}
