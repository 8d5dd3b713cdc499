import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { access } from "node:fs/promises";

/** Whether anything (file, directory, dangling-free symlink target) is at `p`. */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Read-only, without following a final symlink (ELOOP instead) and without waiting for a FIFO's
 * writer: an open(2) of a FIFO blocks until someone writes, so a FIFO the agent swaps in for a file
 * omk reads synchronously would hang omk. A flag a platform lacks is left out.
 */
const NO_FOLLOW_READ = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Opens `path` as it is (see NO_FOLLOW_READ) and stats what was opened; throws what open/fstat throw. */
export function openNoFollowSync(path: string): { fd: number; stat: Stats } {
  const fd = openSync(path, NO_FOLLOW_READ);
  try {
    return { fd, stat: fstatSync(fd) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

export type RegularFileRead =
  | { kind: "file"; data: Buffer; stat: Stats }
  | { kind: "missing" }
  /** A symlink, FIFO, directory, device, a file larger than asked for, or one that cannot be read. */
  | { kind: "other"; detail: string };

/**
 * The bytes of `path` when it is a regular file of at most `maxBytes`, checked on the descriptor that
 * is read (no window between a check and the read), never blocking: for files in places the agent
 * can write (the repository's git dir) that omk reads synchronously. A larger file is "other", with
 * its size and change time, so a change to it still shows.
 */
export function readRegularFileSync(path: string, maxBytes: number): RegularFileRead {
  let opened: { fd: number; stat: Stats };
  try {
    opened = openNoFollowSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "missing" };
    return { kind: "other", detail: code === "ELOOP" ? "symlink" : `unreadable (${code ?? String(error)})` };
  }
  const { fd, stat } = opened;
  try {
    if (!stat.isFile()) return { kind: "other", detail: `mode ${stat.mode.toString(8)}` };
    if (stat.size > maxBytes)
      return { kind: "other", detail: `${stat.size} bytes, changed ${stat.ctimeMs}, inode ${stat.ino}` };
    // One byte more than the file had: filling it means the file grew while it was read.
    const buffer = Buffer.allocUnsafe(stat.size + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n)
      n = readSync(fd, buffer, length, buffer.length - length, length);
    if (length === buffer.length) return { kind: "other", detail: "changed while it was read" };
    return { kind: "file", data: buffer.subarray(0, length), stat };
  } catch (error) {
    return {
      kind: "other",
      detail: `unreadable (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    };
  } finally {
    closeSync(fd);
  }
}
