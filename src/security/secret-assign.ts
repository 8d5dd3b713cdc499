/**
 * Parses `KEY=value`, `key: value`, `"key": "value"`, `key => 'value'`, `--password=value`,
 * `Authorization: Basic …` from the operator. Reads at most ~1.1k characters after the operator and
 * ~95 before it (key, its quotes, blanks; see CONTEXT_CHARS / ASSIGNMENT_MAX_SPAN).
 */

import {
  hasSecretTail,
  isHeaderSecretKey,
  isSecretLikeKey,
  keyWordEnd,
  mayEndSecretKey,
  mayHaveSecretTail,
  SECRET_KEY_END_CHARS,
  SEPARATOR_OR_DIGIT,
} from "./secret-keys.js";
import { REDACTED } from "./secret-rules.js";

const MAX_KEY = 64;
const MAX_VALUE = 1024;
const MAX_BLANKS = 8;
const MAX_BACKSLASHES = 8;

export interface AssignedValue {
  readonly start: number;
  readonly end: number;
  readonly keyStart: number;
  readonly keyEnd: number;
  readonly quoted: boolean;
}

/** Values that are type names or literals, never secrets: `password: string`, `token = None`. */
const NON_SECRET_WORD =
  /^(?:string|number|boolean|bool|str|int|integer|float|any|unknown|object|bytes|null|none|nil|undefined|true|false|required|optional)$/i;

function isKeyChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x5f || // _
    c === 0x2e || // .
    c === 0x2d // -
  );
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/** Ends an unquoted value: whitespace, quotes and the separators of env lines, URLs and argument lists. */
function isValueStop(c: number): boolean {
  return (
    isSpace(c) ||
    c === 0x22 || // "
    c === 0x27 || // '
    c === 0x60 || // `
    c === 0x2c || // ,
    c === 0x3b || // ;
    c === 0x26 || // &
    c === 0x3c || // <
    c === 0x3e // >
  );
}

function skipBlanks(text: string, i: number): number {
  let j = i;
  while (j < text.length && j - i < MAX_BLANKS && isBlank(text.charCodeAt(j))) j++;
  return j;
}

/** Length of the assignment operator at i, 0 if none. `::` (scope) is not one. */
function operatorLength(text: string, i: number): number {
  const c = text.charCodeAt(i);
  const next = text.charCodeAt(i + 1);
  if (c === 0x3a) {
    if (next === 0x3d) return 2; // :=
    return next === 0x3a ? 0 : 1; // :
  }
  if (c !== 0x3d) return 0;
  if (next === 0x3e) return 2; // =>
  if (next !== 0x3d) return 1; // =
  return text.charCodeAt(i + 2) === 0x3d ? 3 : 2; // === ==
}

/** The quote that opens a quoted key, with the backslashes that escape it inside a JSON string. */
function keyQuote(text: string, keyStart: number): string {
  const q = text.charCodeAt(keyStart - 1);
  if (q !== 0x22 && q !== 0x27) return "";
  let b = keyStart - 1;
  while (b > 0 && keyStart - 1 - b < MAX_BACKSLASHES && text.charCodeAt(b - 1) === 0x5c) b--;
  return text.slice(b, keyStart);
}

function quotedValue(text: string, open: number, opener: string): { start: number; end: number } {
  const start = open + opener.length;
  const limit = Math.min(text.length, start + MAX_VALUE);
  if (opener.length > 1) {
    // Escaped quotes (`\"…\"`): the value runs to the same escaped quote, within the line and bound.
    const eol = lineEnd(text, start, limit);
    const close = text.slice(start, eol).indexOf(opener);
    return { start, end: close === -1 ? eol : start + close };
  }
  const q = opener.charCodeAt(0);
  let j = start;
  while (j < limit) {
    const c = text.charCodeAt(j);
    if (c === q || c === 0x0a || c === 0x0d) break;
    if (c === 0x5c) {
      const n = text.charCodeAt(j + 1);
      j += n === 0x0a || n === 0x0d ? 1 : 2;
      continue;
    }
    j++;
  }
  return { start, end: Math.min(j, limit) };
}

function lineEnd(text: string, from: number, limit: number): number {
  let j = from;
  while (j < limit) {
    const c = text.charCodeAt(j);
    if (c === 0x0a || c === 0x0d) break;
    j++;
  }
  return j;
}

/** `closer` ends a header value that sits inside a quoted argument (`-H 'Authorization: Basic …'`). */
function unquotedValue(text: string, i: number, header: boolean, closer: number): number {
  const limit = Math.min(text.length, i + MAX_VALUE);
  if (header) {
    const eol = lineEnd(text, i, limit);
    let end = i;
    while (end < eol && text.charCodeAt(end) !== closer) end++;
    while (end > i && isBlank(text.charCodeAt(end - 1))) end--;
    return end;
  }
  let j = i;
  while (j < limit && !isValueStop(text.charCodeAt(j))) j++;
  return j;
}

/**
 * The value after the operator. A value that starts with a placeholder was already redacted — in an
 * earlier round a secret merged with a longer one (a PEM block spanning lines) may have swallowed
 * the value's quote or line end — so it is left alone; that keeps one round a fixpoint.
 */
function parseValue(
  text: string,
  at: number,
  keyStart: number,
  keyEnd: number,
  header: boolean,
  retry: boolean,
): AssignedValue | undefined {
  const before = text.charCodeAt(keyStart - 1);
  const closer = before === 0x22 || before === 0x27 ? before : Number.NaN;
  let b = at;
  while (b < text.length && b - at < MAX_BACKSLASHES && text.charCodeAt(b) === 0x5c) b++;
  const q = text.charCodeAt(b);
  if (q === 0x22 || q === 0x27 || q === 0x60) {
    const { start, end } = quotedValue(text, at, text.slice(at, b + 1));
    const value = text.slice(start, end);
    if (value === "" || value.startsWith(REDACTED) || NON_SECRET_WORD.test(value)) return undefined;
    return { start, end, keyStart, keyEnd, quoted: true };
  }
  const first = text.charCodeAt(at);
  if (Number.isNaN(first) || isValueStop(first)) return undefined;
  const end = unquotedValue(text, at, header, closer);
  const value = text.slice(at, end);
  if (value.startsWith(REDACTED)) return undefined;
  if (first === 0x7b || first === 0x5b || first === 0x28) return undefined; // {…} […] (…): a structure, judged by its own keys
  if (/^[|>][-+]?[0-9]?$/.test(value)) return undefined; // YAML block scalar: the value is on later lines
  if (NON_SECRET_WORD.test(value)) {
    // `password: str = "…"` / `const token: string = "…"`: judge what is assigned after the type.
    const after = skipBlanks(text, end);
    if (!retry && text.charCodeAt(after) === 0x3d && operatorLength(text, after) === 1) {
      return parseValue(text, skipBlanks(text, after + 1), keyStart, keyEnd, header, true);
    }
    return undefined;
  }
  return { start: at, end, keyStart, keyEnd, quoted: false };
}

/** Past blanks and a `]` (`env["API_KEY"] = …`) before the operator: where the key, or its closing quote, ends. */
function quoteEndBefore(text: string, op: number): number {
  let end = op;
  for (let n = 0; n < MAX_BLANKS && end > 0 && isBlank(text.charCodeAt(end - 1)); n++) end--;
  return text.charCodeAt(end - 1) === 0x5d ? end - 1 : end;
}

/** Where the key ends: before the closing quote (and the backslashes escaping it) that ends at `quoteEnd`. */
function keyEndAt(text: string, quoteEnd: number): number {
  const q = text.charCodeAt(quoteEnd - 1);
  if (q !== 0x22 && q !== 0x27) return quoteEnd;
  let keyEnd = quoteEnd - 1;
  while (keyEnd > 0 && quoteEnd - 1 - keyEnd < MAX_BACKSLASHES && text.charCodeAt(keyEnd - 1) === 0x5c)
    keyEnd--;
  return keyEnd;
}

/**
 * 1 for the characters that can sit right before an operator mayFollowKey accepts, or right before
 * its blank: a blank, a character a secret key can end with, its closing quote, or the `]` of
 * `env["API_KEY"]`. The detector reads it before calling mayFollowKey, which is too large to inline.
 */
export const BEFORE_OPERATOR = SECRET_KEY_END_CHARS.slice();
for (const c of `"'] \t`) BEFORE_OPERATOR[c.charCodeAt(0)] = 1;

function isAsciiLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/**
 * Necessary for mayBeAssignmentAt, in a few reads for most operators: past up to MAX_BLANKS blanks
 * before `op` and a closing quote, a key that mayEndSecretKey accepts — or a `]` or an escaped quote,
 * left to mayBeAssignmentAt. Runs for every `=` and `:` of code, where judging each one through the
 * evaluator calls was most of the cost.
 */
export function mayFollowKey(text: string, op: number): boolean {
  let k = op - 1;
  for (let n = 0; n < MAX_BLANKS && k >= 0 && isBlank(text.charCodeAt(k)); n++) k--;
  if (k < 0) return false;
  let c = text.charCodeAt(k);
  let end = k + 1;
  if (c === 0x5d) return true; // `env["API_KEY"] =`
  if (c === 0x22 || c === 0x27) {
    end = k;
    c = text.charCodeAt(k - 1);
    if (c === 0x5c) return true; // an escaped quote: keyEndAt walks the backslashes
  }
  // Most keys end in a letter: three reads. Trailing digits or separators need mayEndSecretKey's walk.
  return isAsciiLetter(c) ? hasSecretTail(text, end) : mayEndSecretKey(text, end);
}

/**
 * Necessary for mayFollowKey when its key ends at `k` or just before a quote at `k` (`c` is the
 * character at k, the first one before the operator past one blank): past trailing digits and
 * separators, the key must end in a secret word's last three letters. Small enough to inline where
 * every `=` and `:` of code is judged, and rejects most of them without a call. Anything else
 * (blanks, `]`, an escaped quote) passes, for mayFollowKey to decide.
 */
export function mayEndKeyAt(text: string, k: number, c: number): boolean {
  if (c !== 0x22 && c !== 0x27) return mayEndWordAt(text, k + 1, c);
  return k < 1 || mayEndWordAt(text, k, text.charCodeAt(k - 1));
}

/** mayEndKeyAt for a key ending at `end` in `last`. */
function mayEndWordAt(text: string, end: number, last: number): boolean {
  if (isAsciiLetter(last)) return mayHaveSecretTail(text, end);
  return SEPARATOR_OR_DIGIT[last] !== 1 || mayHaveSecretTail(text, keyWordEnd(text, end));
}

/**
 * Cheap necessary condition for parseAssignmentAt: an operator at `op` and a key before it that may
 * end in a secret noun. Rejects nearly every `=` and `:` of ordinary code in a few reads.
 */
export function mayBeAssignmentAt(text: string, op: number): boolean {
  return operatorLength(text, op) > 0 && mayEndSecretKey(text, keyEndAt(text, quoteEndBefore(text, op)));
}

/** Judge the assignment whose operator (`=`, `:`, `:=`, `=>`, `==`) is at `op`; the key is read backwards. */
export function parseAssignmentAt(text: string, op: number): AssignedValue | undefined {
  const opLength = operatorLength(text, op);
  if (opLength === 0) return undefined;
  const quoteEnd = quoteEndBefore(text, op);
  const keyEnd = keyEndAt(text, quoteEnd);
  if (!mayEndSecretKey(text, keyEnd)) return undefined;
  let keyStart = keyEnd;
  while (keyStart > 0 && isKeyChar(text.charCodeAt(keyStart - 1))) {
    keyStart--;
    if (keyEnd - keyStart > MAX_KEY) return undefined;
  }
  // A quoted key must be closed by the same quote (and escaping) that opened it.
  if (quoteEnd !== keyEnd && keyQuote(text, keyStart) !== text.slice(keyEnd, quoteEnd)) return undefined;
  if (!isSecretLikeKey(text, keyStart, keyEnd)) return undefined;
  const header = isHeaderSecretKey(text, keyStart, keyEnd);
  return parseValue(text, skipBlanks(text, op + opLength), keyStart, keyEnd, header, false);
}
