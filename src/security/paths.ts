/**
 * Path policy: names we derive from arbitrary text (run ids, task titles → branch and directory
 * names), paths an agent proposes (goal read/write sets), and resolution under a root that refuses
 * to leave it lexically or through symlinks.
 */

import { lstat, realpath } from "node:fs/promises";
import * as path from "node:path";
import { OmkError } from "../core/errors.js";

export type PathVerdict = { ok: true; path: string } | { ok: false; reason: string };

const MAX_NAME_LENGTH = 255;
const MAX_PATH_LENGTH = 4096;
const MAX_SANITIZED_LENGTH = 64;

/** Names Windows reserves in every directory; a prefix keeps a worktree on a shared drive usable. */
const WINDOWS_RESERVED = /^(?:con|prn|aux|nul|com[0-9]|lpt[0-9])(?:\.|$)/i;

function cleanName(input: string): string {
  const s = trimName(
    String(input)
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "") // café → cafe
      .replace(/[^A-Za-z0-9._-]+/g, "-")
      .replace(/\.{2,}/g, ".")
      .replace(/-{2,}/g, "-")
      .replace(/^[.-]+/, ""),
  );
  // Judged on the trimmed name, so cleaning a clean name never changes it ("con-" → "con" → "_con").
  return WINDOWS_RESERVED.test(s) ? trimName(`_${s}`) : s;
}

function trimName(name: string): string {
  let s = name.slice(0, MAX_SANITIZED_LENGTH);
  for (;;) {
    const trimmed = s.replace(/[.-]+$/, "").replace(/\.lock$/i, "");
    if (trimmed === s) return s;
    s = trimmed;
  }
}

/**
 * Make a safe single path component / git ref component from arbitrary text: [A-Za-z0-9._-], no
 * leading dot or dash, no "..", no ".lock" suffix, non-empty, ≤ 64 chars; deterministic and
 * idempotent. Falls back to `fallback` (itself sanitized), then "unnamed".
 */
export function sanitizeName(input: string, fallback = "unnamed"): string {
  return cleanName(input) || cleanName(fallback) || "unnamed";
}

function reject(reason: string): PathVerdict {
  return { ok: false, reason };
}

function show(text: string): string {
  const quoted = JSON.stringify(text);
  return quoted.length > 80 ? `${quoted.slice(0, 77)}…"` : quoted;
}

const CONTROL = /[\x00-\x1f\x7f]/;
// C1 controls, zero-width and bidi controls: they make a path display as something it is not, and
// HFS+ ignores some of them (".g\u200cit" is ".git" there).
const INVISIBLE = /[\x80-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/;
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Judge an agent-supplied relative path. Rejects absolute (posix, drive, UNC), leading "~", any ".."
 * component, control/invisible characters, backslashes, any component starting with ".git"
 * (case-insensitive) or naming it on NTFS ("git~1"), a component over 255 bytes, a path over 4096
 * bytes, and a path with no components. Empty and "." components are normalised away; on success
 * the normalised posix path is returned.
 */
export function isSafeAgentPath(p: string): PathVerdict {
  if (typeof p !== "string") return reject("path is not a string");
  if (p.length === 0) return reject("path is empty");
  if (Buffer.byteLength(p, "utf8") > MAX_PATH_LENGTH)
    return reject(`path is longer than ${MAX_PATH_LENGTH} bytes`);
  if (CONTROL.test(p)) return reject("path contains a control character");
  if (INVISIBLE.test(p)) return reject("path contains an invisible or bidirectional-control character");
  if (LONE_SURROGATE.test(p)) return reject("path contains an unpaired UTF-16 surrogate");
  if (p.includes("\\")) return reject("path contains a backslash; use / as the separator");
  if (p.startsWith("/")) return reject("path is absolute; give it relative to the project root");
  if (/^[A-Za-z]:/.test(p))
    return reject("path starts with a drive letter; give it relative to the project root");
  if (p.startsWith("~")) return reject("path starts with ~; give it relative to the project root");
  const parts: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") return reject("path contains a .. component");
    if (part.toLowerCase().startsWith(".git") || /^git~[0-9]+$/i.test(part)) {
      return reject(
        `path component ${show(part)} is git metadata or CI config (.git*), which agents may not touch`,
      );
    }
    if (Buffer.byteLength(part, "utf8") > MAX_NAME_LENGTH) {
      return reject(`path component is longer than ${MAX_NAME_LENGTH} bytes`);
    }
    parts.push(part);
  }
  if (parts.length === 0) return reject("path names no file (only / and . components)");
  return { ok: true, path: parts.join("/") };
}

/** True when `child` is `parent` or below it (both absolute and normalised). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

const UNSAFE_HINT =
  "Give a path relative to the project root that stays inside it; symlinks on the way must not point outside.";

function unsafe(message: string, cause?: unknown): OmkError {
  return new OmkError(
    "UNSAFE_PATH",
    message,
    cause === undefined ? { hint: UNSAFE_HINT } : { hint: UNSAFE_HINT, cause },
  );
}

function errnoCode(error: unknown): string {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : "UNKNOWN";
}

async function isSymlink(p: string): Promise<boolean> {
  try {
    return (await lstat(p)).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Resolve `rel` under `root`, refusing anything that escapes root lexically or through symlinks:
 * the realpath of the deepest existing ancestor must stay inside realpath(root), and a dangling
 * symlink on the way is refused (writing through it would create its target wherever it points).
 * Returns the canonical path (symlinks in the existing part resolved). Throws OmkError("UNSAFE_PATH").
 * The check is a snapshot: callers writing into a tree another process controls still race it.
 */
export async function resolveSafePath(root: string, rel: string): Promise<string> {
  if (typeof rel !== "string" || rel.includes("\0")) throw unsafe("path contains a NUL byte");
  if (Buffer.byteLength(rel, "utf8") > MAX_PATH_LENGTH) {
    throw unsafe(`path is longer than ${MAX_PATH_LENGTH} bytes`);
  }
  const absRoot = path.resolve(root);
  const lexical = path.resolve(absRoot, rel);
  if (!isInside(absRoot, lexical)) throw unsafe(`path ${show(rel)} resolves outside ${show(root)}`);
  let realRoot: string;
  try {
    realRoot = await realpath(absRoot);
  } catch (cause) {
    throw unsafe(`root ${show(root)} cannot be resolved (${errnoCode(cause)})`, cause);
  }
  const relative = path.relative(absRoot, lexical);
  const parts = relative === "" ? [] : relative.split(path.sep);
  for (let depth = parts.length; depth >= 0; depth--) {
    const candidate = path.join(realRoot, ...parts.slice(0, depth));
    let real: string;
    try {
      real = await realpath(candidate);
    } catch (cause) {
      const code = errnoCode(cause);
      if (code !== "ENOENT" && code !== "ENOTDIR") {
        throw unsafe(`path ${show(rel)} cannot be resolved (${code})`, cause);
      }
      if (code === "ENOENT" && (await isSymlink(candidate))) {
        throw unsafe(`path ${show(rel)} goes through a symlink whose target does not exist`);
      }
      continue;
    }
    if (!isInside(realRoot, real)) throw unsafe(`path ${show(rel)} leaves ${show(root)} through a symlink`);
    return path.join(real, ...parts.slice(depth));
  }
  throw unsafe(`root ${show(root)} disappeared while resolving ${show(rel)}`);
}
