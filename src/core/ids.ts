import { randomFillSync } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lowercase

/**
 * Sortable ids: a millisecond timestamp prefix keeps `ls` and `run list` in creation order,
 * the random tail keeps concurrent runs apart. Only [0-9a-z-] so they are safe in paths and refs.
 */
// Randomness is drawn in blocks: one syscall per 512 ids instead of one per id (ledger appends are hot).
const POOL = Buffer.alloc(4096);
let poolAt = POOL.length;

export function newId(prefix: string, now: Date = new Date()): string {
  const ts = now.getTime().toString(36).padStart(9, "0");
  if (poolAt + 8 > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  let tail = "";
  for (let i = 0; i < 8; i++) tail += ALPHABET[POOL[poolAt + i]! & 31];
  poolAt += 8;
  return `${prefix}-${ts}-${tail}`;
}

/** When an id of `newId` was made (ms since the epoch); null for anything else. */
export function idTime(id: string): number | null {
  const m = /^[a-z]+-([0-9a-z]{9})-[0-9a-z]{8}$/.exec(id);
  if (m === null) return null;
  const ms = Number.parseInt(m[1]!, 36);
  return Number.isFinite(ms) ? ms : null;
}
