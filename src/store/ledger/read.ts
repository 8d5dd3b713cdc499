import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { OmkError } from "../../core/errors.js";
import { EVENTS_FILE, HEAD_FILE, type LedgerEvent, type LedgerHead, LedgerHeadSchema } from "./format.js";
import { type LedgerProblem, type LedgerScan, type VerifyResult, verifyLines } from "./verify.js";

type HeadRead = { head: LedgerHead | null; problem: null } | { head: undefined; problem: LedgerProblem };

function isNotFound(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === "ENOENT";
}

async function readHead(dir: string): Promise<HeadRead> {
  const file = path.join(dir, HEAD_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if (isNotFound(err)) return { head: null, problem: null };
    throw new OmkError("IO_FAILED", `Cannot read ${file}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const parsed = LedgerHeadSchema.safeParse(raw);
  if (parsed.success) return { head: parsed.data, problem: null };
  return {
    head: undefined,
    problem: { seq: null, line: 0, kind: "head_mismatch", message: "events.head is not a valid head record" },
  };
}

export interface LedgerSnapshot {
  bytes: Uint8Array;
  scan: LedgerScan;
  /** events.head as read (null: none; undefined: unreadable). */
  head: LedgerHead | null | undefined;
}

/**
 * Reads events.jsonl and events.head and verifies them together. No lock: a reader never blocks a writer.
 * The writer overwrites the head in place, so a read that races it can see a mix of two records: a
 * head that disagrees with the file is read once more before it counts as a problem.
 */
export async function scanLedgerDir(dir: string): Promise<LedgerSnapshot> {
  const first = await scanOnce(dir);
  const headDisagrees = first.scan.verify.problems.some(
    (p) => p.kind === "head_mismatch" || p.kind === "truncated",
  );
  return headDisagrees ? await scanOnce(dir) : first;
}

async function scanOnce(dir: string): Promise<LedgerSnapshot> {
  const file = path.join(dir, EVENTS_FILE);
  // Head before events: a writer appends first and moves the head second, so this order never sees a head
  // ahead of the file it reads next.
  const head = await readHead(dir);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    if (isNotFound(err)) {
      throw new OmkError("IO_FAILED", `No ledger at ${file}`, {
        hint: "Check the run id (`omk run list`).",
        details: { path: file },
      });
    }
    throw new OmkError("IO_FAILED", `Cannot read ${file}`, { cause: err, details: { path: file } });
  }
  const scan = verifyLines(bytes, head.head);
  if (head.problem !== null) {
    const problems = [...scan.verify.problems];
    const tornAt = problems.findIndex((p) => p.kind === "torn_tail");
    const chainBroken = problems.some((p) => p.kind !== "torn_tail");
    if (!chainBroken) problems.splice(tornAt === -1 ? problems.length : tornAt, 0, head.problem);
    scan.verify = { ...scan.verify, ok: false, problems };
  }
  return { bytes, scan, head: head.head };
}

/** Read-only, no lock: parse + verify. `events` is the verified prefix; `head` the head record read. */
export async function readLedger(
  dir: string,
): Promise<{ events: LedgerEvent[]; verify: VerifyResult; head: LedgerHead | null | undefined }> {
  const { scan, head } = await scanLedgerDir(dir);
  return { events: scan.events, verify: scan.verify, head };
}

export async function verifyLedger(dir: string): Promise<VerifyResult> {
  return (await readLedger(dir)).verify;
}
