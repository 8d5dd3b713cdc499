import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lowercase

/**
 * Sortable ids: a millisecond timestamp prefix keeps `ls` and `run list` in creation order,
 * the random tail keeps concurrent runs apart. Only [0-9a-z-] so they are safe in paths and refs.
 */
export function newId(prefix: string, now: Date = new Date()): string {
  const ts = now.getTime().toString(36).padStart(9, "0");
  const bytes = randomBytes(8);
  let tail = "";
  for (const b of bytes) tail += ALPHABET[b & 31];
  return `${prefix}-${ts}-${tail}`;
}

export const ID_PATTERN = /^[a-z]+-[0-9a-z]{9}-[0-9a-z]{8}$/;
