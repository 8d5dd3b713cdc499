/**
 * Changed-file secret scan. Each path is canonicalised first and anything that resolves outside the
 * project root (a symlink, or a path through a symlinked directory) is skipped without being opened;
 * what is read is opened with O_NOFOLLOW and checked to be the very file that was judged.
 */

import { constants } from "node:fs";
import { lstat, open, realpath, stat } from "node:fs/promises";
import * as path from "node:path";
import { OmkError } from "../core/errors.js";
import { isInside } from "./paths.js";
import { findSecretsInText } from "./secret-findings.js";

export { findSecretsInText, type TextFinding } from "./secret-findings.js";

export interface SecretFinding {
  path: string;
  line: number;
  rule: string;
  /** Redacted, e.g. `key = AKIA[REDACTED]`: the line with every secret replaced. */
  preview: string;
}

export interface ScanResult {
  findings: SecretFinding[];
  skipped: { path: string; reason: string }[];
}

export const SCAN_MAX_BYTES = 2 * 1024 * 1024;
const BINARY_SNIFF_BYTES = 8 * 1024;
const CONCURRENCY = 8;
// Not every platform has these; 0 leaves the flag out.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

type Outcome = { findings: SecretFinding[] } | { skipped: string };

function code(error: unknown): string {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : "UNKNOWN";
}

async function readCapped(file: string, expected: { dev: number; ino: number }): Promise<Buffer | string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, OPEN_FLAGS);
  } catch (error) {
    return code(error) === "ELOOP"
      ? "file was replaced by a symlink while scanning"
      : `cannot open (${code(error)})`;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.dev !== expected.dev || info.ino !== expected.ino) {
      return "file changed while scanning";
    }
    const buffer = Buffer.alloc(Math.min(info.size, SCAN_MAX_BYTES) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > SCAN_MAX_BYTES) return "larger than 2 MiB";
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

async function scanOne(realRoot: string, rel: string): Promise<Outcome> {
  if (rel.length === 0) return { skipped: "empty path" };
  if (rel.includes("\0")) return { skipped: "path contains a NUL byte" };
  const lexical = path.resolve(realRoot, rel);
  if (!isInside(realRoot, lexical)) return { skipped: "path leaves the project root" };
  let isLink: boolean;
  try {
    isLink = (await lstat(lexical)).isSymbolicLink();
  } catch (error) {
    return {
      skipped: code(error) === "ENOENT" ? "file does not exist (deleted)" : `cannot stat (${code(error)})`,
    };
  }
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (error) {
    return { skipped: isLink ? "broken symlink" : `cannot resolve (${code(error)})` };
  }
  if (!isInside(realRoot, real)) {
    return {
      skipped: isLink
        ? "symlink resolves outside the project root"
        : "path resolves outside the project root through a symlinked directory",
    };
  }
  const target = await stat(real).catch(() => undefined);
  if (target === undefined) return { skipped: "file disappeared while scanning" };
  if (!target.isFile()) return { skipped: "not a regular file" };
  if (target.size > SCAN_MAX_BYTES) return { skipped: "larger than 2 MiB" };
  const content = await readCapped(real, target);
  if (typeof content === "string") return { skipped: content };
  if (content.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return { skipped: "binary file" };
  const findings = findSecretsInText(content.toString("utf8")).map((f) => ({ path: rel, ...f }));
  return { findings };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Scan repo-relative paths for secrets. Skips (with a reason) paths that leave the root, symlinks or
 * paths whose realpath leaves realpath(root) — never opened —, non-files, files over 2 MiB and binary
 * files (NUL in the first 8 KiB). Findings keep input order, then line order. Never reads outside root.
 */
export async function scanFiles(root: string, relPaths: readonly string[]): Promise<ScanResult> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (cause) {
    throw new OmkError(
      "IO_FAILED",
      `cannot scan for secrets: project root ${JSON.stringify(root)} is not accessible`,
      {
        hint: "Run from inside the project, and check that the directory still exists.",
        cause,
      },
    );
  }
  const paths = [...new Set(relPaths)];
  const outcomes = await mapLimit(paths, CONCURRENCY, (rel) => scanOne(realRoot, rel));
  const result: ScanResult = { findings: [], skipped: [] };
  outcomes.forEach((outcome, i) => {
    if ("skipped" in outcome) result.skipped.push({ path: paths[i] as string, reason: outcome.skipped });
    else result.findings.push(...outcome.findings);
  });
  return result;
}
