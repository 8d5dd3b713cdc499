import {
  GENESIS_HASH,
  hashText,
  type LedgerEvent,
  LedgerEventSchema,
  type LedgerHead,
  lineWithoutHash,
} from "./format.js";

export interface LedgerProblem {
  /** The seq the chain expected where the problem was found; null when no seq applies (torn tail). */
  seq: number | null;
  /** 1-based line number in events.jsonl (lines + 1 for problems past the last line). */
  line: number;
  kind: "edited" | "missing" | "reordered" | "truncated" | "head_mismatch" | "malformed" | "torn_tail";
  message: string;
}

export interface VerifyResult {
  /** True iff every complete line verifies and agrees with the head; a torn tail alone keeps it true. */
  ok: boolean;
  /** Events that verified (the prefix before the first problem). */
  events: number;
  /** Hash of the last verified event, null when there is none. */
  headHash: string | null;
  /** First chain problem first; then a head problem; a torn tail last. */
  problems: LedgerProblem[];
}

export interface LedgerScan {
  /** The verified prefix of the ledger. */
  events: LedgerEvent[];
  verify: VerifyResult;
  /** Byte length up to and including the last "\n": what survives torn-tail recovery. */
  completeBytes: number;
}

interface ParsedLine {
  line: number;
  text: string | null;
  event: LedgerEvent | null;
  reason: string;
  /** Byte offset just past this line's "\n". */
  end: number;
}

const LF = 0x0a;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function parseLine(bytes: Uint8Array, line: number, end: number): ParsedLine {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return { line, text: null, event: null, reason: "not valid UTF-8", end };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { line, text, event: null, reason: "not valid JSON", end };
  }
  if (looksLikeEvent(raw)) return { line, text, event: raw, reason: "", end };
  // Slow path only for lines that fail the shape check: zod explains what is wrong.
  const parsed = LedgerEventSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first === undefined ? "" : `${first.path.join(".") || "(root)"}: ${first.message}`;
    return { line, text, event: null, reason: `not a ledger event (${where})`, end };
  }
  return { line, text, event: parsed.data, reason: "", end };
}

const HEX64 = /^[0-9a-f]{64}$/;
const ISO_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;
const KEYS = ["actor", "data", "hash", "id", "kind", "prev", "run", "seq", "ts", "v"].join();

/** The same constraints as LedgerEventSchema, checked without allocating: verify runs this per line. */
function looksLikeEvent(raw: unknown): raw is LedgerEvent {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return false;
  const e = raw as Record<string, unknown>;
  return (
    Object.keys(e).sort().join() === KEYS &&
    e["v"] === 1 &&
    Number.isSafeInteger(e["seq"]) &&
    (e["seq"] as number) > 0 &&
    typeof e["id"] === "string" &&
    e["id"] !== "" &&
    typeof e["ts"] === "string" &&
    ISO_TS.test(e["ts"]) &&
    typeof e["run"] === "string" &&
    e["run"] !== "" &&
    typeof e["kind"] === "string" &&
    e["kind"] !== "" &&
    typeof e["actor"] === "string" &&
    e["actor"] !== "" &&
    e["data"] !== null &&
    typeof e["data"] === "object" &&
    !Array.isArray(e["data"]) &&
    typeof e["prev"] === "string" &&
    HEX64.test(e["prev"]) &&
    typeof e["hash"] === "string" &&
    HEX64.test(e["hash"])
  );
}

function splitLines(bytes: Uint8Array, completeBytes: number): ParsedLine[] {
  const lines: ParsedLine[] = [];
  let start = 0;
  while (start < completeBytes) {
    const nl = bytes.indexOf(LF, start);
    lines.push(parseLine(bytes.subarray(start, nl), lines.length + 1, nl + 1));
    start = nl + 1;
  }
  return lines;
}

/** Why `event` cannot follow the chain at `expectedSeq`/`expectedPrev`, or null if it can. */
function chainProblem(
  entry: ParsedLine,
  expectedSeq: number,
  expectedPrev: string,
  lines: readonly ParsedLine[],
): LedgerProblem | null {
  const { event, line } = entry;
  if (event === null) {
    return { seq: expectedSeq, line, kind: "malformed", message: `line ${line} is ${entry.reason}` };
  }
  // The hash covers the exact bytes of the line (minus its hash member), so any edit anywhere in the
  // line, including a non-canonical rewrite of an equal value, shows up as a mismatch.
  const member = entry.text === null ? null : lineWithoutHash(entry.text);
  if (member === null || member.hash !== event.hash) {
    return { seq: expectedSeq, line, kind: "edited", message: `line ${line} is not in canonical form` };
  }
  if (hashText(event.prev, member.text) !== event.hash) {
    return {
      seq: expectedSeq,
      line,
      kind: "edited",
      message: `event ${expectedSeq}: hash does not match content`,
    };
  }
  if (event.seq !== expectedSeq) {
    const expectedLater = lines.some((e) => e.line > line && e.event?.seq === expectedSeq);
    if (event.seq > expectedSeq && !expectedLater) {
      const range = event.seq - 1 === expectedSeq ? `${expectedSeq}` : `${expectedSeq}..${event.seq - 1}`;
      return {
        seq: expectedSeq,
        line,
        kind: "missing",
        message: `event ${range} missing before line ${line}`,
      };
    }
    return {
      seq: expectedSeq,
      line,
      kind: "reordered",
      message: `line ${line} holds event ${event.seq} where event ${expectedSeq} belongs`,
    };
  }
  if (event.prev !== expectedPrev) {
    return {
      seq: expectedSeq,
      line,
      kind: "edited",
      message: `event ${expectedSeq}: prev does not match the hash of event ${expectedSeq - 1} (one of them was rewritten)`,
    };
  }
  return null;
}

function headProblem(head: LedgerHead | null, lines: readonly ParsedLine[], events: readonly LedgerEvent[]) {
  const lastSeq = events.length;
  const pastEnd = lines.length + 1;
  if (head === null) {
    if (lastSeq === 0) return null;
    return {
      seq: null,
      line: pastEnd,
      kind: "head_mismatch",
      message: `events.head is missing but the ledger holds ${lastSeq} events`,
    } satisfies LedgerProblem;
  }
  if (head.seq > lastSeq) {
    return {
      seq: lastSeq + 1,
      line: pastEnd,
      kind: "truncated",
      message: `events.head records ${head.seq} events (${head.size} bytes) but the file ends after event ${lastSeq} (${lines.at(-1)?.end ?? 0} bytes)`,
    } satisfies LedgerProblem;
  }
  // A head behind the file is legal: a crash between a batch's fsync and its head write leaves it one batch back.
  const atHead =
    head.seq === 0
      ? { hash: GENESIS_HASH, end: 0 }
      : { hash: events[head.seq - 1]!.hash, end: lines[head.seq - 1]!.end };
  if (atHead.hash !== head.hash || atHead.end !== head.size) {
    const what = atHead.hash !== head.hash ? "hash" : `size (${head.size}, file has ${atHead.end})`;
    return {
      seq: head.seq,
      line: head.seq === 0 ? 0 : head.seq,
      kind: "head_mismatch",
      message: `events.head ${what} does not match event ${head.seq}`,
    } satisfies LedgerProblem;
  }
  return null;
}

/**
 * Parses and verifies ledger bytes. Pure. `head` undefined skips the head check; null means the head file
 * is absent. A final line without "\n" is a torn write: reported, but not fatal.
 */
export function verifyLines(input: string | Uint8Array, head?: LedgerHead | null): LedgerScan {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const completeBytes = bytes.lastIndexOf(LF) + 1;
  const lines = splitLines(bytes, completeBytes);
  const events: LedgerEvent[] = [];
  const problems: LedgerProblem[] = [];

  let prev = GENESIS_HASH;
  for (let i = 0; i < lines.length; i++) {
    const entry = lines[i]!;
    const problem = chainProblem(entry, events.length + 1, prev, lines);
    if (problem !== null) {
      problems.push(problem);
      break;
    }
    events.push(entry.event!);
    prev = entry.event!.hash;
  }

  if (problems.length === 0 && head !== undefined) {
    const problem = headProblem(head, lines, events);
    if (problem !== null) problems.push(problem);
  }

  if (completeBytes < bytes.length) {
    problems.push({
      seq: null,
      line: lines.length + 1,
      kind: "torn_tail",
      message: `last line is incomplete (${bytes.length - completeBytes} bytes without "\\n"; never acknowledged)`,
    });
  }

  return {
    events,
    completeBytes,
    verify: {
      ok: problems.every((p) => p.kind === "torn_tail"),
      events: events.length,
      headHash: events.at(-1)?.hash ?? null,
      problems,
    },
  };
}
