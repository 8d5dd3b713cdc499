import { readFile } from "node:fs/promises";

const GITLINK_MODE = 0o160000;
const DIRECTORY_MODE = 0o040000;
/** Entry fields before the object id: ctime, mtime (8 each), dev, ino, mode, uid, gid, size (4 each). */
const STAT_BYTES = 40;
const EXTENDED_FLAG = 0x4000;
const NAME_MASK = 0xfff;

/**
 * The submodule paths (gitlinks) recorded in an index file, read in-process instead of by a
 * `git ls-files --stage` — one git process fewer before every snapshot, and the paths exactly as
 * stored (a child's stdout passes through the redactor). Only the plain formats git writes by
 * default are read: version 2 or 3, not split, not sparse. For anything else (version 4's compressed
 * paths, a split or sparse index, a file that does not parse) the answer is null and the caller asks
 * git. `oidBytes` is 20 for SHA-1 repositories, 32 for SHA-256 ones.
 */
export async function gitlinksInIndexFile(file: string, oidBytes: 20 | 32): Promise<string[] | null> {
  const buf = await readFile(file).catch(() => null);
  return buf === null ? null : parseGitlinks(buf, oidBytes);
}

export function parseGitlinks(buf: Buffer, oidBytes: 20 | 32): string[] | null {
  if (buf.length < 12 + oidBytes || buf.toString("latin1", 0, 4) !== "DIRC") return null;
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) return null;
  const count = buf.readUInt32BE(8);
  const end = buf.length - oidBytes;
  const links: string[] = [];
  let at = 12;
  for (let i = 0; i < count; i++) {
    const flagsAt = at + STAT_BYTES + oidBytes;
    if (flagsAt + 2 > end) return null;
    const mode = buf.readUInt32BE(at + 24);
    const flags = buf.readUInt16BE(flagsAt);
    let nameAt = flagsAt + 2;
    if ((flags & EXTENDED_FLAG) !== 0) {
      if (version < 3) return null;
      nameAt += 2;
    }
    let nameLen = flags & NAME_MASK;
    if (nameLen === NAME_MASK) {
      const nul = buf.indexOf(0, nameAt);
      if (nul < 0 || nul > end) return null;
      nameLen = nul - nameAt;
    }
    if (nameAt + nameLen > end || buf[nameAt + nameLen] !== 0) return null;
    // A sparse index stands for whole directories with one entry: what is inside is not listed.
    if ((mode & 0o170000) === DIRECTORY_MODE) return null;
    if ((mode & 0o170000) === GITLINK_MODE) links.push(buf.toString("utf8", nameAt, nameAt + nameLen));
    // Entries are NUL-padded to a multiple of eight bytes (one to eight NULs).
    at += (nameAt - at + nameLen + 8) & ~7;
  }
  // Extensions: an upper-case signature is optional (a cache: the tree, the untracked files, …) and
  // changes no entry; a lower-case one is required ("link": a split index keeps its entries
  // elsewhere, "sdir": a sparse one), and omk leaves such an index to git.
  while (at + 8 <= end) {
    const first = buf[at] ?? 0;
    if (first < 0x41 || first > 0x5a) return null;
    at += 8 + buf.readUInt32BE(at + 4);
  }
  return at === end ? links : null;
}
