import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, mkdir, open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { OmkError } from "../core/errors.js";
import { redactText } from "../security/redact.js";
import { writePrivateFile } from "../store/private-fs.js";
import { PINNED_DIFF_ARGS } from "./diff.js";
import { parseDiffSummary } from "./parse.js";
import { checkRevArg, git } from "./runner.js";
import { diffTrees, type TreeDiff } from "./snapshot.js";

async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    const buf = chunk as Buffer;
    bytes += buf.length;
    hash.update(buf);
  }
  return { sha256: hash.digest("hex"), bytes };
}

/**
 * Write the staged change against `base` as a binary patch that `git apply` reproduces byte for byte.
 * git writes the file itself (`--output`): captured stdout would be redacted and capped, which would
 * corrupt a patch. Explicit a/ b/ prefixes defeat diff.noprefix. The file is private (0600) since a
 * change can contain anything.
 */
export async function writePatch(
  worktree: string,
  base: string,
  outFile: string,
): Promise<{ sha256: string; bytes: number }> {
  checkRevArg(base, "base revision");
  return writeDiff(worktree, ["--cached", base], outFile);
}

/** The same binary patch between two trees or commits, from the object store alone. */
export async function writeTreePatch(
  root: string,
  from: string,
  to: string,
  outFile: string,
): Promise<{ sha256: string; bytes: number }> {
  checkRevArg(from, "revision");
  checkRevArg(to, "revision");
  return writeDiff(root, [from, to], outFile);
}

/** How large a patch {@link treePatchBytes} holds in memory; a larger one is written by git itself. */
const MAX_PATCH_IN_MEMORY = 64 * 1024 * 1024;

/**
 * The binary patch of {@link writeTreePatch}, in memory (git's stdout as raw bytes, never redacted),
 * so it can be made while the change is still being scanned and written only if the scan finds it
 * clean. Null when it is larger than omk keeps in memory or git failed: writeTreePatch then makes it.
 */
export async function treePatchBytes(root: string, from: string, to: string): Promise<Buffer | null> {
  checkRevArg(from, "revision");
  checkRevArg(to, "revision");
  return git(root)([...PATCH_ARGS, from, to, "--"], { raw: true, maxOutputBytes: MAX_PATCH_IN_MEMORY })
    .then((x) => x.raw ?? null)
    .catch(() => null);
}

/**
 * What changed from `from` to `to` ({@link diffTrees}) and its binary patch ({@link treePatchBytes})
 * from one git process: with `--raw --numstat -z` and `-p`, git prints the records, one more NUL, then
 * exactly the patch it prints alone. The records pass through the redactor as any git output does (so
 * they name files as `diffTrees` names them); the patch stays exact bytes. When the output is larger
 * than omk holds or cannot be split, the two are asked for one by one, as before.
 */
export async function diffWithPatch(
  root: string,
  from: string,
  to: string,
): Promise<{ diff: TreeDiff; patch: Buffer | null }> {
  checkRevArg(from, "revision");
  checkRevArg(to, "revision");
  const r = await git(root)([...PATCH_ARGS, "--raw", "--numstat", "-z", from, to, "--"], {
    raw: true,
    maxOutputBytes: MAX_PATCH_IN_MEMORY,
  }).catch(() => null);
  const out = r?.raw;
  if (out !== undefined && out.length === 0) return { diff: parseDiffSummary(""), patch: out };
  // Every record ends in a NUL and none is empty, so the first two NULs in a row end the records.
  const split = out?.indexOf("\0\0") ?? -1;
  if (out === undefined || split < 0) {
    const [diff, patch] = await Promise.all([diffTrees(root, from, to), treePatchBytes(root, from, to)]);
    return { diff, patch };
  }
  const records = redactText(out.subarray(0, split + 1).toString("utf8"));
  return { diff: parseDiffSummary(records), patch: out.subarray(split + 2) };
}

/** Write patch bytes from {@link treePatchBytes} to a private (0600) file, atomically. */
export async function writePatchBytes(
  outFile: string,
  bytes: Buffer,
): Promise<{ sha256: string; bytes: number }> {
  await writePrivateFile(outFile, bytes);
  return { sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length };
}

const PATCH_ARGS = [
  "diff",
  "--binary",
  "--full-index",
  ...PINNED_DIFF_ARGS,
  "--src-prefix=a/",
  "--dst-prefix=b/",
] as const;

async function writeDiff(
  cwd: string,
  what: readonly string[],
  outFile: string,
): Promise<{ sha256: string; bytes: number }> {
  const out = resolve(cwd, outFile);
  try {
    await mkdir(dirname(out), { recursive: true, mode: 0o700 });
    // Created up front so git truncates an existing private file instead of creating one with its umask.
    await (await open(out, "w", 0o600)).close();
  } catch (error) {
    throw new OmkError("IO_FAILED", `cannot create patch file ${out}`, {
      cause: error,
      hint: "check permissions",
    });
  }
  await git(cwd)([...PATCH_ARGS, `--output=${out}`, ...what, "--"]);
  await chmod(out, 0o600);
  return sha256File(out);
}

/**
 * Apply a patch made by writePatch to the worktree and its index. No 3-way fallback: a patch that does not
 * apply cleanly is an error, never a silent merge. An empty patch (a run that changed nothing) applies as a no-op.
 */
export async function applyPatch(worktree: string, patchFile: string): Promise<void> {
  await git(worktree)([
    "apply",
    "--binary",
    "--index",
    "--no-3way",
    "--allow-empty",
    "--whitespace=nowarn",
    "-p1",
    "--",
    resolve(worktree, patchFile),
  ]);
}
