import { chmodSync, mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import writeFileAtomic from "write-file-atomic";
import { z } from "zod";
import { OmkError } from "../core/errors.js";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

function ioError(action: string, target: string, cause: unknown): OmkError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new OmkError("IO_FAILED", `Cannot ${action} ${target}: ${reason}`, {
    cause,
    details: { path: target },
  });
}

/**
 * mkdir -p with mode 0700 for each directory it creates AND chmod 0700 on the leaf. The chmod runs after
 * mkdir because mkdir's mode is filtered through the umask. Synchronous calls behind the promise: a run
 * ensures its directories a few dozen times, each a syscall or two, and thread-pool round trips cost
 * the main thread more than that (the promise stays, so callers need not change).
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  const leaf = path.resolve(dir);
  try {
    const first = mkdirSync(leaf, { recursive: true, mode: PRIVATE_DIR_MODE });
    if (first !== undefined) {
      // Walk from the first directory mkdir created down to the leaf; existing ancestors are not ours to change.
      const created: string[] = [];
      for (let d = leaf; d.length >= first.length; d = path.dirname(d)) {
        created.push(d);
        if (d === first) break;
      }
      for (const d of created) chmodSync(d, PRIVATE_DIR_MODE);
    }
    chmodSync(leaf, PRIVATE_DIR_MODE);
  } catch (cause) {
    throw ioError("create private directory", leaf, cause);
  }
}

export interface WriteOptions {
  /**
   * The file is a cache that is rebuilt when it is missing or stale (a run's summary, its heartbeat):
   * still written whole or not at all (rename), but not fsynced. Under a goal's lanes, whose git
   * processes keep the disk busy, an fsync takes a few ms of the main thread.
   */
  cache?: boolean | undefined;
}

/**
 * Atomic write (temp file + fsync + rename) with mode 0600 whatever the umask or the old file's mode.
 * The library's synchronous form: its asynchronous one resolves the path with one thread-pool lstat
 * per component and makes every later call a round trip, ~2 ms per file where this takes ~0.65 ms,
 * fsync included. A run writes a few dozen such files (state, artifacts, proof), and a goal's lanes
 * share one main thread.
 */
export async function writePrivateFile(
  file: string,
  data: string | Uint8Array,
  opts: WriteOptions = {},
): Promise<void> {
  await ensurePrivateDir(path.dirname(file));
  try {
    const bytes =
      typeof data === "string" ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    writeFileAtomic.sync(file, bytes, { mode: PRIVATE_FILE_MODE, fsync: opts.cache !== true });
  } catch (cause) {
    throw ioError("write", file, cause);
  }
}

/** Pretty JSON + "\n", written as {@link writePrivateFile}. */
export async function writePrivateJson(file: string, value: unknown, opts: WriteOptions = {}): Promise<void> {
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) {
    throw new OmkError("INTERNAL", `Refusing to write ${file}: value is not JSON-serializable`);
  }
  await writePrivateFile(file, `${text}\n`, opts);
}

/** Reads and validates a JSON file: IO_FAILED when it cannot be read, CONFIG_INVALID when it is not valid. */
export async function readJsonFile<T>(file: string, schema: z.ZodType<T>): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw ioError("read", file, cause);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    // V8's message quotes a snippet of the input, which may be a secret; keep only the position.
    const position = cause instanceof Error ? /position (\d+)/.exec(cause.message)?.[1] : undefined;
    const where = position === undefined ? "" : ` (at character ${position})`;
    throw new OmkError("CONFIG_INVALID", `${file} is not valid JSON${where}`, {
      details: { path: file },
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new OmkError(
      "CONFIG_INVALID",
      `${file} does not match the expected shape:\n${z.prettifyError(parsed.error)}`,
      {
        details: { path: file },
      },
    );
  }
  return parsed.data;
}
