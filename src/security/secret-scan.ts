/**
 * Changed-file secret scan: every changed path, whatever its size or encoding, and the path itself.
 *
 * The root is resolved once and each directory once; a file is opened with O_NOFOLLOW inside its
 * resolved directory, so nothing outside the root is ever opened, and what is read is the very file
 * that was judged (fstat of the open descriptor). Files up to WHOLE_MAX bytes are read in one go;
 * larger ones are streamed through a TextScanner in constant memory. Text is decoded (UTF-8, UTF-16,
 * UTF-32); a binary file yields its printable runs. A symlink is scanned as what git commits — its
 * target string — plus the file it points to when that stays inside the root; a link that leaves the
 * root is reported in `symlinksOutside` and its target is never opened. Whatever cannot be scanned
 * becomes a finding with rule `unscannable`, which blocks like any other finding.
 */

import type * as fs from "node:fs";
import * as path from "node:path";
import { OmkError } from "../core/errors.js";
import { keepMapAlive } from "./keep-maps.js";
import { isInside } from "./paths.js";
import { redactText } from "./redact.js";
import { close, errorCode, mapLimit, openNoFollow, read, readlinkOf, realpathOf } from "./scan-fs.js";
import { type Decoder, decodersFor } from "./secret-decode.js";
import { detectSecrets } from "./secret-detect.js";
import { findSecretsInText, type TextFinding, TextScanner } from "./secret-findings.js";
import { linkTargetLeavesRoot } from "./symlinks.js";

export { findSecretsInText, type TextFinding } from "./secret-findings.js";

/** The rule of a finding that says a changed path could not be scanned (the preview says why). */
export const UNSCANNABLE_RULE = "unscannable";

/**
 * Where a finding is: `content` — a line of the decoded file (or of a symlink's target string);
 * `strings` — a printable run of a binary file; `path` — the changed path itself; `file` — the
 * whole file, which could not be scanned.
 */
export type FindingPlace = "content" | "strings" | "path" | "file";

export interface SecretFinding {
  /** The changed path as given, redacted when the path itself holds a secret. */
  path: string;
  /** 1-based line of the decoded text for `content`; 0 for the other places. */
  line: number;
  /** A rule id (`github-token`, `secret-assignment`, …) or `unscannable`. */
  rule: string;
  /** The line with every secret replaced, e.g. `key = AKIA[REDACTED]`; for `unscannable`, the reason. */
  preview: string;
  where: FindingPlace;
}

export interface ScanOptions {
  /** Return the bytes of every regular file read whole (up to WHOLE_MAX) in `contents`, so no other check reads it again. */
  keepContent?: boolean | undefined;
}

export interface ScanResult {
  /** Secrets and unscannable paths, in input order, then by place and line. Any finding blocks. */
  findings: SecretFinding[];
  /** Changed paths that are symlinks leaving the root, as written or once resolved: write-set violations. */
  symlinksOutside: string[];
  /** With `keepContent`: the scanned bytes of each regular file read whole, by the path as given. */
  contents: Map<string, Buffer>;
  /**
   * @deprecated Every entry is also in `findings` (rule `unscannable`, the reason as preview), which
   * blocks. Kept so callers that listed skips keep compiling.
   */
  skipped: { path: string; reason: string }[];
}

/** Files up to this size are read whole (and can be returned); larger ones are streamed. */
export const WHOLE_MAX = 4 * 1024 * 1024;
const CHUNK = 1024 * 1024;
/**
 * Bytes decoded at a time and characters judged at a time. V8 allocates every string of 128 KiB or
 * more on fresh pages of its own (on the benchmark VM ~1 ms per 128 KiB string, against ~15 µs
 * below that; decoding the benchmark corpus whole took ~80 ms, in pieces ~17 ms), so the scan keeps
 * each string it builds — a decoded piece, the scanner's window with its context — under that, even
 * as UTF-16: 4 Ki + 32 Ki + 8 Ki + 16 Ki characters at most. The window is as large as that allows:
 * each one re-copies and re-searches its context and lookahead.
 */
const DECODE_CHUNK = 16 * 1024;
const SCAN_WINDOW = 32 * 1024;
const CONCURRENCY = 16;
/** The texts one file's bytes yield, each judged by its own scanner. */
class ContentScanner {
  readonly #channels: { decoder: Decoder; scanner: TextScanner }[];
  readonly #where: "content" | "strings";

  constructor(head: Uint8Array) {
    const { where, decoders } = decodersFor(head);
    this.#where = where;
    this.#channels = decoders.map((decoder) => ({
      decoder,
      scanner: new TextScanner({ window: SCAN_WINDOW, flatChunks: true }),
    }));
  }

  write(bytes: Uint8Array): void {
    // Decoded a piece at a time, so no string the scan builds is large (see SCAN_WINDOW).
    for (let at = 0; at < bytes.length; at += DECODE_CHUNK) {
      const piece = bytes.subarray(at, at + DECODE_CHUNK);
      for (const { decoder, scanner } of this.#channels) scanner.push(decoder.write(piece));
    }
  }

  finish(shownPath: string): SecretFinding[] {
    const where = this.#where;
    return this.#channels.flatMap(({ decoder, scanner }) => {
      scanner.push(decoder.end());
      return scanner.finish().map((f) => finding(shownPath, f, where));
    });
  }
}

// A text file's scanner and decoders, and a binary file's (see keep-maps.ts).
keepMapAlive(new ContentScanner(new Uint8Array(0)));
keepMapAlive(new ContentScanner(new Uint8Array(8)));

function finding(shownPath: string, f: TextFinding, where: FindingPlace): SecretFinding {
  return { path: shownPath, line: where === "content" ? f.line : 0, rule: f.rule, preview: f.preview, where };
}

/**
 * The path as shown (redacted) and the findings in the path string itself (`ghp_….txt`). A path
 * the detector finds nothing in — nearly every one — is shown as it is, with one detection pass
 * instead of the redactor's and the scanner's.
 */
function judgePath(rel: string): { shownPath: string; inPath: SecretFinding[] } {
  if (detectSecrets(rel).matches.length === 0) return { shownPath: rel, inPath: [] };
  const shownPath = redactText(rel);
  return { shownPath, inPath: findSecretsInText(rel).map((f) => finding(shownPath, f, "path")) };
}

/**
 * Findings for one file whose bytes the caller already holds (a blob, a file it read): the path
 * and the content, decoded as scanFiles would. Synchronous; never touches the file system.
 */
export function scanContent(rel: string, bytes: Uint8Array): SecretFinding[] {
  const { shownPath, inPath } = judgePath(rel);
  const content = new ContentScanner(bytes);
  content.write(bytes);
  return [...inPath, ...content.finish(shownPath)];
}

interface Outcome {
  findings: SecretFinding[];
  unscannable?: string;
  symlinkOutside?: boolean;
  content?: Buffer;
}

type DirVerdict = { real: string } | { reason: string };

interface Context {
  readonly realRoot: string;
  readonly keepContent: boolean;
  readonly dirs: Map<string, Promise<DirVerdict>>;
}

function resolveDir(ctx: Context, dir: string): Promise<DirVerdict> {
  let verdict = ctx.dirs.get(dir);
  if (verdict === undefined) {
    verdict = realpathOf(dir).then(
      (real): DirVerdict =>
        isInside(ctx.realRoot, real)
          ? { real }
          : { reason: "path resolves outside the project root through a symlinked directory" },
      (error: unknown): DirVerdict => {
        const code = errorCode(error);
        if (code === "ENOENT") return { reason: "file does not exist (deleted)" };
        if (code === "ENOTDIR") return { reason: "a parent of the path is not a directory" };
        return { reason: `cannot resolve its directory (${code})` };
      },
    );
    ctx.dirs.set(dir, verdict);
  }
  return verdict;
}

/** Read an open regular file of `size` bytes and scan it; whole when small, streamed otherwise. */
async function scanOpenFile(
  fd: number,
  size: number,
  shownPath: string,
  keep: boolean,
): Promise<{ findings: SecretFinding[]; content?: Buffer }> {
  if (size <= WHOLE_MAX) {
    // Ask for one byte more than fstat said: a file that grew since is streamed instead. Like
    // readFile, stop once `size` bytes are in (one read for nearly every file).
    const buffer = Buffer.allocUnsafe(size + 1);
    let length = 0;
    while (length < size) {
      const n = await read(fd, buffer, length, buffer.length - length, length);
      if (n === 0) break;
      length += n;
    }
    if (length <= size) {
      const bytes = buffer.subarray(0, length);
      const content = new ContentScanner(bytes);
      content.write(bytes);
      const findings = content.finish(shownPath);
      return keep ? { findings, content: bytes } : { findings };
    }
  }
  const chunk = Buffer.allocUnsafe(CHUNK);
  let content: ContentScanner | undefined;
  for (let position = 0; ; ) {
    const n = await read(fd, chunk, 0, CHUNK, position);
    if (n === 0) break;
    const bytes = chunk.subarray(0, n);
    content ??= new ContentScanner(bytes);
    content.write(bytes);
    position += n;
  }
  return { findings: content?.finish(shownPath) ?? [] };
}

function notAFile(stat: fs.Stats): string {
  return stat.isDirectory() ? "a directory where a file was expected" : "not a regular file";
}

async function scanOpened(
  opened: { fd: number; stat: fs.Stats },
  shownPath: string,
  keep: boolean,
): Promise<{ findings: SecretFinding[]; content?: Buffer } | { reason: string }> {
  const { fd, stat } = opened;
  try {
    if (!stat.isFile()) return { reason: notAFile(stat) };
    return await scanOpenFile(fd, stat.size, shownPath, keep);
  } catch (error) {
    return { reason: `cannot read (${errorCode(error)})` };
  } finally {
    await close(fd);
  }
}

/**
 * A symlink is committed as its target string: scan that, report a target that leaves the root,
 * and scan the file it points to when that is a regular file inside the root.
 */
async function scanSymlink(ctx: Context, linkDir: string, file: string, shownPath: string): Promise<Outcome> {
  let target: string;
  try {
    target = await readlinkOf(file);
  } catch (error) {
    return { findings: [], unscannable: `cannot read the symlink (${errorCode(error)})` };
  }
  const findings = findSecretsInText(target).map((f) => finding(shownPath, f, "content"));
  const real = await realpathOf(file).catch(() => null);
  if (
    linkTargetLeavesRoot(ctx.realRoot, linkDir, target) ||
    (real !== null && !isInside(ctx.realRoot, real))
  ) {
    return { findings, symlinkOutside: true };
  }
  if (real === null) return { findings }; // dangling inside the root: the target string is all that lands
  const opened = await openNoFollow(real);
  if ("code" in opened) return { findings, unscannable: `cannot open the symlink's target (${opened.code})` };
  if (!opened.stat.isFile()) {
    await close(opened.fd);
    return { findings }; // a link to a directory inside the root commits nothing but its target string
  }
  const scanned = await scanOpened(opened, shownPath, false);
  if ("reason" in scanned) return { findings, unscannable: scanned.reason };
  return { findings: [...findings, ...scanned.findings] };
}

async function scanOne(ctx: Context, rel: string): Promise<Outcome> {
  if (rel.length === 0) return { findings: [], unscannable: "empty path" };
  if (rel.includes("\0")) return { findings: [], unscannable: "path contains a NUL byte" };
  const { shownPath, inPath } = judgePath(rel);
  const lexical = path.resolve(ctx.realRoot, rel);
  if (!isInside(ctx.realRoot, lexical) || lexical === ctx.realRoot) {
    return { findings: inPath, unscannable: "path leaves the project root" };
  }
  const dir = await resolveDir(ctx, path.dirname(lexical));
  if ("reason" in dir) return { findings: inPath, unscannable: dir.reason };
  const file = path.join(dir.real, path.basename(lexical));
  const opened = await openNoFollow(file);
  if ("code" in opened) {
    const { code } = opened;
    if (code === "ELOOP" || code === "EMLINK") {
      const link = await scanSymlink(ctx, dir.real, file, shownPath);
      return { ...link, findings: [...inPath, ...link.findings] };
    }
    if (code === "ENOENT") return { findings: inPath, unscannable: "file does not exist (deleted)" };
    if (code === "ENOTDIR")
      return { findings: inPath, unscannable: "a parent of the path is not a directory" };
    if (code === "ENXIO") return { findings: inPath, unscannable: "not a regular file" };
    return { findings: inPath, unscannable: `cannot open (${code})` };
  }
  const scanned = await scanOpened(opened, shownPath, ctx.keepContent);
  if ("reason" in scanned) return { findings: inPath, unscannable: scanned.reason };
  const findings = [...inPath, ...scanned.findings];
  return scanned.content === undefined ? { findings } : { findings, content: scanned.content };
}

/**
 * Scan repo-relative changed paths for secrets: each path string, and each file's content at any
 * size and in any encoding. Anything that cannot be scanned (missing, unreadable, a directory, a
 * FIFO, outside the root) is a finding with rule `unscannable`. Symlinks leaving the root are
 * listed in `symlinksOutside` and never followed. Paths are deduplicated; findings keep input order.
 * Never reads outside the root. Throws IO_FAILED when the root itself is not accessible.
 */
export async function scanFiles(
  root: string,
  relPaths: readonly string[],
  options: ScanOptions = {},
): Promise<ScanResult> {
  let realRoot: string;
  try {
    realRoot = await realpathOf(root);
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
  const ctx: Context = { realRoot, keepContent: options.keepContent === true, dirs: new Map() };
  const paths = [...new Set(relPaths)];
  const outcomes = await mapLimit(paths, CONCURRENCY, (rel) => scanOne(ctx, rel));
  const result: ScanResult = { findings: [], symlinksOutside: [], contents: new Map(), skipped: [] };
  outcomes.forEach((outcome, i) => {
    const rel = paths[i] as string;
    result.findings.push(...outcome.findings);
    if (outcome.unscannable !== undefined) {
      const shownPath = redactText(rel);
      result.findings.push({
        path: shownPath,
        line: 0,
        rule: UNSCANNABLE_RULE,
        preview: outcome.unscannable,
        where: "file",
      });
      result.skipped.push({ path: shownPath, reason: outcome.unscannable });
    }
    if (outcome.symlinkOutside === true) result.symlinksOutside.push(rel);
    if (outcome.content !== undefined) result.contents.set(rel, outcome.content);
  });
  return result;
}
