import { OmkError } from "../core/errors.js";
import { checkRevArg, git } from "./runner.js";

/** One file as it is at a revision: its blob id and its exact bytes. */
export interface BlobAt {
  oid: string;
  bytes: Buffer;
}

/** How much `blobsAt` reads at most: config and manifest files, not payloads. */
const MAX_BATCH_BYTES = 64 * 1024 * 1024;

/**
 * The blobs of `paths` as they are at `rev`, exactly: one `git cat-file --batch` asked for
 * `<rev>:<path>` per path, its stdout taken as raw bytes (git's stdout otherwise passes through omk's
 * redactor, which would alter file contents). A path missing at `rev`, or naming a directory or a
 * submodule there, maps to null; a symbolic link maps to its target as git stores it (never the file
 * it points to).
 */
export async function blobsAt(
  root: string,
  rev: string,
  paths: readonly string[],
): Promise<Map<string, BlobAt | null>> {
  checkRevArg(rev, "revision");
  const out = new Map<string, BlobAt | null>();
  for (const p of paths) {
    // cat-file --batch reads one name per line: a path git could hold but a line cannot carry.
    if (/[\n\r]/.test(p)) {
      throw new OmkError(
        "USAGE",
        `cannot read ${JSON.stringify(p)} from git: the path contains a line break`,
        {
          hint: "rename the file, or leave it out of gates.toml's protect list",
        },
      );
    }
    out.set(p, null);
  }
  const unique = [...out.keys()];
  if (unique.length === 0) return out;
  const r = await git(root)(["cat-file", "--batch"], {
    input: unique.map((p) => `${rev}:${p}\n`).join(""),
    raw: true,
    maxOutputBytes: MAX_BATCH_BYTES,
  });
  const buf = r.raw ?? Buffer.alloc(0);
  let at = 0;
  for (const p of unique) {
    const nl = buf.indexOf(0x0a, at);
    if (nl < 0) throw batchFailure(p);
    const header = buf.subarray(at, nl).toString("utf8");
    at = nl + 1;
    // "<oid> <type> <size>", or "<name> missing" / "<name> ambiguous" (the name may hold spaces).
    const m = /^([0-9a-f]{40,64}) (blob|tree|commit|tag) (\d+)$/.exec(header);
    if (m === null) {
      if (/ (missing|ambiguous)$/.test(header)) continue;
      throw batchFailure(p);
    }
    const size = Number(m[3]);
    if (at + size + 1 > buf.length) throw batchFailure(p);
    if (m[2] === "blob") out.set(p, { oid: m[1] ?? "", bytes: Buffer.from(buf.subarray(at, at + size)) });
    at += size + 1;
  }
  return out;
}

function batchFailure(path: string): OmkError {
  return new OmkError(
    "GIT_FAILED",
    `git cat-file gave an answer omk cannot read for ${JSON.stringify(path)}`,
    {
      hint: "run `git fsck` in the repository; the file may also be larger than omk reads (64 MiB)",
    },
  );
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
