import * as crypto from "node:crypto";
import { createHash } from "node:crypto";
import canonicalizeCjs from "canonicalize";
import { z } from "zod";
import { OmkError } from "../../core/errors.js";

/** One ledger line. `hash = sha256(prev + canonical JSON of the event without "hash")`. */
export interface LedgerEvent {
  v: 1;
  seq: number;
  id: string;
  ts: string;
  run: string;
  kind: string;
  actor: string;
  data: Record<string, unknown>;
  prev: string;
  hash: string;
}

/** `events.head`: the last committed event and the byte length of events.jsonl after it. */
export interface LedgerHead {
  seq: number;
  hash: string;
  size: number;
}

const LEDGER_VERSION = 1;
export const EVENTS_FILE = "events.jsonl";
export const HEAD_FILE = "events.head";
export const GENESIS_HASH = "0".repeat(64);

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex digits");

export const LedgerEventSchema = z.strictObject({
  v: z.literal(LEDGER_VERSION),
  seq: z.number().int().positive(),
  id: z.string().min(1),
  ts: z.iso.datetime(),
  run: z.string().min(1),
  kind: z.string().min(1),
  actor: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
  prev: Hex64,
  hash: Hex64,
});

export const LedgerHeadSchema = z.strictObject({
  seq: z.number().int().nonnegative(),
  hash: Hex64,
  size: z.number().int().nonnegative(),
});

// The package ships CJS (`module.exports = fn`) with an ESM-style `export default` typing, so under NodeNext
// TypeScript types the default import as the module object; at runtime it is the function.
const canonicalizeFn = canonicalizeCjs as unknown as (value: unknown) => string | undefined;

/** RFC 8785 canonical JSON. Throws for values JSON cannot represent (NaN, Infinity, BigInt, undefined root). */
export function canonicalJson(value: unknown): string {
  const text = canonicalizeFn(value);
  if (text === undefined) throw new TypeError("value has no JSON representation");
  return text;
}

/**
 * Reduces event data to the plain JSON a reader will parse back (Dates become strings, undefined members
 * vanish), so the event an appender gets back is byte-for-byte the event it later reads.
 */
export function toPlainData(data: Record<string, unknown>): Record<string, unknown> {
  let text: string | undefined;
  try {
    // Native JSON is several times faster than canonicalizing here; key order does not matter yet.
    text = JSON.stringify(data);
  } catch (cause) {
    throw new OmkError("INTERNAL", "Ledger event data is not JSON-serializable", { cause });
  }
  const plain: unknown = text === undefined ? undefined : JSON.parse(text);
  if (plain === null || typeof plain !== "object" || Array.isArray(plain)) {
    throw new OmkError("INTERNAL", "Ledger event data must be a JSON object");
  }
  return plain as Record<string, unknown>;
}

/**
 * Canonical JSON of an event, written out field by field. The top-level keys are fixed and already in
 * RFC 8785 order (actor < data < hash < id < kind < prev < run < seq < ts < v), strings serialize as
 * JSON.stringify does and seq/v are integers, so only `data` needs the general canonicalizer. With
 * `hash` null the member is left out, which is exactly the text that gets hashed.
 */
function eventText(body: Omit<LedgerEvent, "hash">, hash: string | null, dataText?: string): string {
  const s = JSON.stringify;
  const data = dataText ?? canonicalJson(body.data);
  const h = hash === null ? "" : `"hash":${s(hash)},`;
  return `{"actor":${s(body.actor)},"data":${data},${h}"id":${s(body.id)},"kind":${s(body.kind)},"prev":${s(body.prev)},"run":${s(body.run)},"seq":${body.seq},"ts":${s(body.ts)},"v":${body.v}}`;
}

const HASH_MEMBER = ',"hash":"';

/**
 * The hashed text of a written line: the line without its top-level hash member. The member is the
 * last `,"hash":"` in the line: inside a JSON string every quote is escaped, so that sequence can only
 * be structural, and the only object before it at top level is `data`.
 */
export function lineWithoutHash(line: string): { text: string; hash: string } | null {
  const at = line.lastIndexOf(HASH_MEMBER);
  if (at < 0) return null;
  const start = at + HASH_MEMBER.length;
  const hash = line.slice(start, start + 64);
  if (line.slice(start + 64, start + 66) !== '",') return null;
  return { text: line.slice(0, at + 1) + line.slice(start + 66), hash };
}

// One-shot hashing (Node ≥ 20.12) avoids a Hash object per event on the append and verify paths.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;

export function hashText(prev: string, text: string): string {
  if (oneShot !== undefined) return oneShot("sha256", prev + text, "hex");
  return createHash("sha256").update(prev, "utf8").update(text, "utf8").digest("hex");
}

export function hashEvent(body: Omit<LedgerEvent, "hash">): string {
  return hashText(body.prev, eventText(body, null));
}

// Lines built while chaining, so a batch's write does not canonicalize each event's data twice.
const lineCache = new WeakMap<LedgerEvent, string>();

/** The line as written: canonical JSON of the whole event, without the trailing "\n". */
export function serializeEvent(event: LedgerEvent): string {
  return lineCache.get(event) ?? eventText(event, event.hash);
}

/** The bytes a batch adds to events.jsonl: one LF-terminated line per event. */
export function encodeEvents(events: readonly LedgerEvent[]): string {
  let out = "";
  for (const event of events) out += `${serializeEvent(event)}\n`;
  return out;
}

/**
 * Bytes of an events.head record as the writer rewrites it in place after each batch (see
 * store/in-place-record.ts): the JSON, blanks, a newline. JSON readers skip the blanks.
 */
export const HEAD_RECORD_BYTES = 256;

/** The head's JSON, on one line. */
export function headJson(head: LedgerHead): string {
  return canonicalJson(head);
}

export function serializeHead(head: LedgerHead): string {
  return `${headJson(head)}\n`;
}

export interface ChainTip {
  seq: number;
  hash: string;
}

export type EventFields = Pick<LedgerEvent, "id" | "ts" | "run" | "kind" | "actor" | "data">;

/** Chains `fields` after `tip` in order. Pure: the writer and the in-memory tests share it. */
export function chainEvents(tip: ChainTip, fields: readonly EventFields[]): LedgerEvent[] {
  const out: LedgerEvent[] = [];
  const s = JSON.stringify;
  let seq = tip.seq;
  let prev = tip.hash;
  for (const f of fields) {
    seq += 1;
    // The two halves around the hash member: hashed text = head + tail, line = head + hash + tail.
    const head = `{"actor":${s(f.actor)},"data":${canonicalJson(f.data)},`;
    const tail = `"id":${s(f.id)},"kind":${s(f.kind)},"prev":${s(prev)},"run":${s(f.run)},"seq":${seq},"ts":${s(f.ts)},"v":${LEDGER_VERSION}}`;
    const hash = hashText(prev, head + tail);
    const event: LedgerEvent = {
      v: LEDGER_VERSION,
      seq,
      id: f.id,
      ts: f.ts,
      run: f.run,
      kind: f.kind,
      actor: f.actor,
      data: f.data,
      prev,
      hash,
    };
    lineCache.set(event, `${head}"hash":"${hash}",${tail}`);
    out.push(event);
    prev = hash;
  }
  return out;
}
