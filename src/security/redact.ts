/**
 * The redactor: secret-shaped values in free text, and values under secret-like keys in structured
 * data, become REDACTED. Applied before anything is hashed, written, printed or put in an error.
 */

import { CONTEXT_CHARS, detectSecrets, MAX_SPAN, mergeRanges } from "./secret-detect.js";
import { isSecretLikeKey, isWeakSecretKey } from "./secret-keys.js";
import { REDACTED } from "./secret-rules.js";

export { StreamRedactor } from "./redact-stream.js";
export { isSecretLikeKey } from "./secret-keys.js";
export { REDACTED } from "./secret-rules.js";

/** Replacing a secret can change what its neighbours look like; re-judging them converges in a round or two. */
const MAX_ROUNDS = 16;

interface Applied {
  text: string;
  /** Where the placeholders written by this round sit in `text`. */
  placeholders: [number, number][];
}

function applyRanges(text: string, ranges: readonly (readonly [number, number])[]): Applied {
  const parts: string[] = [];
  const placeholders: [number, number][] = [];
  let pos = 0;
  let length = 0;
  for (const [start, end] of ranges) {
    const plain = text.slice(pos, start);
    parts.push(plain, REDACTED);
    length += plain.length;
    placeholders.push([length, length + REDACTED.length]);
    length += REDACTED.length;
    pos = end;
  }
  parts.push(text.slice(pos));
  return { text: parts.join(""), placeholders };
}

function firstRound(text: string): Applied | undefined {
  if (text.length === 0) return undefined;
  const matches = detectSecrets(text).matches;
  if (matches.length === 0) return undefined;
  return applyRanges(text, mergeRanges(matches.map((m) => [m.start, m.end])));
}

/**
 * One detection round: every secret found in `text` replaced. This is exactly what StreamRedactor
 * emits for the same text however it is chunked; redactText adds rounds only when a replacement
 * changes what its neighbours look like (a value whose quote or line a merged secret swallowed).
 */
export function redactTextOnce(text: string): string {
  return firstRound(text)?.text ?? text;
}

/** Replace secret-shaped values in free text. Idempotent: redactText(redactText(x)) === redactText(x). */
export function redactText(text: string): string {
  const first = firstRound(text);
  if (first === undefined) return text;
  let current = first;
  for (let round = 1; round < MAX_ROUNDS; round++) {
    // Only triggers whose verdict window overlaps a new placeholder can change their verdict.
    const windows = mergeRanges(
      current.placeholders.map(([s, e]) => [Math.max(0, s - MAX_SPAN), e + CONTEXT_CHARS]),
    );
    const ranges: [number, number][] = [];
    const length = current.text.length;
    for (const [from, rawTo] of windows) {
      // Judge each window on a local slice: a verdict reads at most CONTEXT_CHARS before and
      // MAX_SPAN after its trigger (no PEM header survives round one), and indexOf on the whole
      // text would run to the next hit of every rare anchor, once per window.
      const to = Math.min(rawTo, length);
      const sliceStart = Math.max(0, from - CONTEXT_CHARS);
      const local = current.text.slice(sliceStart, Math.min(length, to + MAX_SPAN + 1));
      const found = detectSecrets(local, { from: from - sliceStart, to: to - sliceStart });
      for (const m of found.matches) ranges.push([m.start + sliceStart, m.end + sliceStart]);
    }
    if (ranges.length === 0) break;
    current = applyRanges(current.text, mergeRanges(ranges));
  }
  return current.text;
}

function defineEntry(target: object, key: PropertyKey, value: unknown): void {
  // defineProperty, not assignment: a `__proto__` key or an inherited setter must not fire.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function redactEntry(key: string, value: unknown, ancestors: Set<object>): unknown {
  if (value === null || value === undefined || typeof value === "boolean" || typeof value === "function") {
    return value;
  }
  if (isSecretLikeKey(key)) {
    if (typeof value === "object" && isWeakSecretKey(key)) return redactAny(value, ancestors);
    return REDACTED;
  }
  return redactAny(value, ancestors);
}

function redactError(error: Error, ancestors: Set<object>): Error {
  const copy = Object.create(Object.getPrototypeOf(error)) as Error;
  defineEntry(copy, "message", redactText(error.message));
  if (Object.hasOwn(error, "name")) defineEntry(copy, "name", redactAny(error.name, ancestors));
  if (typeof error.stack === "string") defineEntry(copy, "stack", redactText(error.stack));
  if ("cause" in error) defineEntry(copy, "cause", redactAny(error.cause, ancestors));
  copyFields(error, copy, ancestors);
  return copy;
}

function copyFields(source: object, target: object, ancestors: Set<object>): void {
  for (const key of Object.keys(source)) {
    const value = (source as Record<string, unknown>)[key];
    defineEntry(target, redactText(key), redactEntry(key, value, ancestors));
  }
}

function redactAny(value: unknown, ancestors: Set<object>): unknown {
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object") return value;
  if (ancestors.has(value)) return "[Circular]";
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactAny(item, ancestors));
    if (value instanceof Date) return new Date(value.getTime());
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
    if (value instanceof Map) {
      const out = new Map<unknown, unknown>();
      for (const [k, v] of value) {
        out.set(
          redactAny(k, ancestors),
          typeof k === "string" ? redactEntry(k, v, ancestors) : redactAny(v, ancestors),
        );
      }
      return out;
    }
    if (value instanceof Set) return new Set([...value].map((item) => redactAny(item, ancestors)));
    if (value instanceof Error) return redactError(value, ancestors);
    const out = Object.create(Object.getPrototypeOf(value)) as object;
    copyFields(value, out, ancestors);
    return out;
  } finally {
    ancestors.delete(value);
  }
}

/**
 * Deep copy with secrets removed: values under secret-like keys become REDACTED (a weak key such as
 * `auth` holding an object is descended into instead), every string goes through redactText, keys
 * included. Cycles become "[Circular]"; binary buffers, functions and booleans are kept as they are.
 */
export function redactValue<T>(value: T): T {
  return redactAny(value, new Set()) as T;
}
