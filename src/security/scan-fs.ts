import * as fs from "node:fs";
import { openNoFollowSync } from "../core/fs.js";

/**
 * How the change scan (secret-scan.ts) touches the file system: opening without following a symlink
 * or hanging on a FIFO, and the per-file calls of a scan.
 */

export function errorCode(error: unknown): string {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : "UNKNOWN";
}

/**
 * The per-file calls are synchronous, behind promise-returning wrappers: a changed file is a handful
 * of small syscalls (open, fstat, one read, close) of microseconds each, while each asynchronous call
 * is a thread-pool round trip that costs the main thread more than the syscall — on the benchmark VM
 * the round trips of a 5,000-file change took longer than scanning its 25 MB. Files are opened by
 * openNoFollowSync (no symlink followed, no wait on a FIFO), and nothing but a regular file is read.
 */
export function read(
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  return attempt(() => fs.readSync(fd, buffer, offset, length, position));
}
export function close(fd: number): Promise<void> {
  try {
    fs.closeSync(fd);
  } catch {
    // nothing to do about a failed close of a read-only descriptor
  }
  return Promise.resolve();
}
function attempt<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error);
  }
}
export function realpathOf(p: string): Promise<string> {
  return new Promise((resolve, reject) => fs.realpath.native(p, (e, r) => (e ? reject(e) : resolve(r))));
}
export function readlinkOf(p: string): Promise<string> {
  return new Promise((resolve, reject) => fs.readlink(p, (e, r) => (e ? reject(e) : resolve(r))));
}

export type Opened = { fd: number; stat: fs.Stats } | { code: string };

export function openNoFollow(file: string): Promise<Opened> {
  try {
    return Promise.resolve(openNoFollowSync(file));
  } catch (error) {
    return Promise.resolve({ code: errorCode(error) });
  }
}

/** `fn` over `items`, at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
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
