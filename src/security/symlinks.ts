/**
 * Symlinks among an agent's changed files. A committed link that leaves the checkout would hand the
 * project's gates (and everyone who lands the change) a path into the user's private files, and the
 * secret scan cannot vouch for what it never opens; so such a link is a write-set violation.
 * `scanFiles` (secret-scan.ts) reports these links for a whole change while it scans it
 * (`ScanResult.symlinksOutside`); symlinkLeavesRoot answers for one path.
 */

import { lstat, readlink, realpath } from "node:fs/promises";
import * as path from "node:path";
import { isInside } from "./paths.js";

export const SYMLINK_OUTSIDE_REASON = "symlink points outside the repository";

/** A link in `linkDir` whose target, as written (absolute, or `..` past the root), leaves `realRoot`. */
export function linkTargetLeavesRoot(realRoot: string, linkDir: string, target: string): boolean {
  return !isInside(realRoot, path.resolve(linkDir, target));
}

/**
 * True when `rel` (relative to `root`) is a symlink whose target leaves `root`, either as written
 * (absolute, or `..` past the root; dangling or not) or once resolved. Never reads the target.
 */
export async function symlinkLeavesRoot(root: string, rel: string): Promise<boolean> {
  const realRoot = await realpath(root);
  const abs = path.join(realRoot, rel);
  const info = await lstat(abs).catch(() => null);
  if (!info?.isSymbolicLink()) return false;
  if (linkTargetLeavesRoot(realRoot, path.dirname(abs), await readlink(abs))) return true;
  const real = await realpath(abs).catch(() => null);
  return real !== null && !isInside(realRoot, real);
}
