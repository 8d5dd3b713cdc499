/**
 * Which object keys / assignment names hold a secret. Only the head noun (last word) decides, so
 * `access_token` and `client_secret` are secret while `token_usage`, `input_tokens` and
 * `password_min_length` — which the ledger must keep — are not.
 */

/** A key whose last word is one of these names a secret on its own. */
const SECRET_NOUNS: ReadonlySet<string> = new Set([
  "token",
  "secret",
  "secrets",
  "password",
  "passwords",
  "passwd",
  "passphrase",
  "cookie",
  "cookies",
  "credential",
  "credentials",
  "creds",
  "authorization",
  "auth",
  "bearer",
  "dsn",
  "apikey",
  "apikeys",
]);

/** Secret only when qualified (`db_pass`, `smtp_pwd`): bare `pass` is a test count, bare `pwd` a directory. */
const QUALIFIED_NOUNS: ReadonlySet<string> = new Set(["pass", "pwd"]);

/** `<qualifier>_key` / `<qualifier>Key` is secret for these; `primary_key`, `public_key`, `key` are not. */
const KEY_QUALIFIERS: ReadonlySet<string> = new Set([
  "api",
  "private",
  "secret",
  "access",
  "signing",
  "encryption",
  "master",
  "session",
  "auth",
  "app",
  "account",
  "client",
  "subscription",
  "shared",
  "storage",
  "service",
  "license",
]);

/** Glued single words (`accesstoken`, `clientsecret`, `dbpassword`) end with one of these. */
const GLUED_SUFFIXES: readonly string[] = ["token", "secret", "password", "passwd", "passphrase"];

/** Keys whose value is a whole header line (`Authorization: Basic …`, `Cookie: a=b; c=d`). */
const HEADER_NOUNS: ReadonlySet<string> = new Set(["authorization", "cookie", "cookies"]);

/**
 * Every word a secret-like key's last word is or ends with (isSecretLikeKey), by its last three
 * letters: a key that ends in none of them is not secret, whatever comes before.
 */
const KEY_WORDS_BY_TAIL: (readonly string[] | undefined)[] = new Array(26 * 26 * 26).fill(undefined);

function tailIndex(a: number, b: number, c: number): number {
  return (a - 1) * 676 + (b - 1) * 26 + (c - 1);
}

/** 1–26 for ASCII letters of either case, 0 for any other UTF-16 code unit: one read per character. */
const LETTER_INDEX = new Uint8Array(65536);
for (let i = 0; i < 26; i++) {
  LETTER_INDEX[0x61 + i] = i + 1;
  LETTER_INDEX[0x41 + i] = i + 1;
}

for (const word of new Set([
  ...SECRET_NOUNS,
  ...QUALIFIED_NOUNS,
  ...GLUED_SUFFIXES,
  "key",
  "keys",
  ...[...KEY_QUALIFIERS].map((q) => `${q}key`),
])) {
  const n = word.length;
  const i = tailIndex(
    LETTER_INDEX[word.charCodeAt(n - 3)] as number,
    LETTER_INDEX[word.charCodeAt(n - 2)] as number,
    LETTER_INDEX[word.charCodeAt(n - 1)] as number,
  );
  KEY_WORDS_BY_TAIL[i] = [...(KEY_WORDS_BY_TAIL[i] ?? []), word];
}

/**
 * 1 at `(a * 27 + b) * 27 + c`, by the LETTER_INDEX of three characters (0 for a non-letter), when a
 * secret word ends in those three letters: one read instead of hasSecretTail's call and lookups.
 */
const SECRET_TAILS = new Uint8Array(27 * 27 * 27);
for (let i = 0; i < KEY_WORDS_BY_TAIL.length; i++) {
  if (KEY_WORDS_BY_TAIL[i] === undefined) continue;
  const a = Math.floor(i / 676) + 1;
  const b = (Math.floor(i / 26) % 26) + 1;
  SECRET_TAILS[(a * 27 + b) * 27 + (i % 26) + 1] = 1;
}

/**
 * Necessary for hasSecretTail(text, end), small enough to inline where every `=` and `:` of code is
 * judged: the three characters before `end` are letters some secret word ends with.
 */
export function mayHaveSecretTail(text: string, end: number): boolean {
  if (end < 3) return false;
  const a = LETTER_INDEX[text.charCodeAt(end - 3)] as number;
  const b = LETTER_INDEX[text.charCodeAt(end - 2)] as number;
  return SECRET_TAILS[(a * 27 + b) * 27 + (LETTER_INDEX[text.charCodeAt(end - 1)] as number)] === 1;
}

/**
 * 1 for every UTF-16 code unit a key mayEndSecretKey accepts can end with: the last letter of a
 * secret word (either case), a digit, `_`, `.` or `-`.
 */
export const SECRET_KEY_END_CHARS = new Uint8Array(65536);
for (const words of KEY_WORDS_BY_TAIL) {
  for (const word of words ?? []) {
    const last = word.charCodeAt(word.length - 1);
    SECRET_KEY_END_CHARS[last] = 1;
    SECRET_KEY_END_CHARS[last - 0x20] = 1;
  }
}
for (const c of "0123456789_.-") SECRET_KEY_END_CHARS[c.charCodeAt(0)] = 1;

/**
 * The letters before `end` spell, in either case, a word a secret-like key ends with (`token` of
 * `accessToken`, but not `broken`; `authorization`, but not `location`). mayEndSecretKey's test once
 * no digits or separators trail the key: three table reads reject most keys, and the few words
 * sharing their last three letters are compared in place.
 */
export function hasSecretTail(text: string, end: number): boolean {
  if (end < 3) return false;
  const a = LETTER_INDEX[text.charCodeAt(end - 3)] as number;
  const b = LETTER_INDEX[text.charCodeAt(end - 2)] as number;
  const c = LETTER_INDEX[text.charCodeAt(end - 1)] as number;
  if (a === 0 || b === 0 || c === 0) return false;
  const words = KEY_WORDS_BY_TAIL[tailIndex(a, b, c)];
  if (words === undefined) return false;
  for (const word of words) if (end >= word.length && wordIs(text, end - word.length, end, word)) return true;
  return false;
}

/**
 * Cheap necessary condition for a secret-like key ending at `end` (exclusive): after up to 16 trailing
 * digits or separators, the key ends in a word a secret-like key ends with. Lets the assignment
 * detector reject nearly every `=`/`:` in a few character reads, before finding where the key starts.
 */
export function mayEndSecretKey(text: string, end: number): boolean {
  return hasSecretTail(text, keyWordEnd(text, end));
}

/** 1 for the characters keyWordEnd walks over before the key's last word: digits, `_`, `.`, `-`. */
export const SEPARATOR_OR_DIGIT = new Uint8Array(65536);
for (const c of "0123456789_.-") SEPARATOR_OR_DIGIT[c.charCodeAt(0)] = 1;

/** Where the key's last word ends: before up to 16 trailing digits or separators (`_2`, `.v1`). */
export function keyWordEnd(text: string, end: number): number {
  let e = end;
  for (let n = 0; n < 16 && e > 0 && SEPARATOR_OR_DIGIT[text.charCodeAt(e - 1)] === 1; n++) e--;
  return e;
}

function isLower(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}
function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** A word boundary falls between i-1 and i inside an alphanumeric run: `apiKey`, `HTTPAuth`, `v2Token`. */
function isCamelBoundary(text: string, i: number, end: number): boolean {
  const before = text.charCodeAt(i - 1);
  const at = text.charCodeAt(i);
  if (!isUpper(at)) return false;
  if (isLower(before) || isDigit(before)) return true;
  return isUpper(before) && i + 1 < end && isLower(text.charCodeAt(i + 1));
}

/**
 * Where the last two words of text[start, end) are: [lastStart, lastEnd, prevStart, prevEnd], -1
 * for a word that is not there. Words are ASCII alphanumeric runs split at camelCase boundaries,
 * trailing digits dropped, empty words skipped (`AWS_SECRET_ACCESS_KEY` → ACCESS, KEY; `XApiKey` →
 * Api, Key; `password_2` → password). Positions rather than lower-cased strings: this runs for
 * every `=`/`:` whose key survives mayEndSecretKey, and slicing and lower-casing two words each
 * time was most of its cost. One shared buffer: callers read it before the next call.
 */
const WORDS = new Int32Array(4);

function lastKeyWords(text: string, start: number, end: number): Int32Array {
  WORDS.fill(-1);
  let found = 0;
  let pos = end;
  while (pos > start && found < 2) {
    while (pos > start && !isAlnum(text.charCodeAt(pos - 1))) pos--;
    if (pos === start) break;
    let wordStart = pos - 1;
    while (
      wordStart > start &&
      isAlnum(text.charCodeAt(wordStart - 1)) &&
      !isCamelBoundary(text, wordStart, end)
    ) {
      wordStart--;
    }
    let wordEnd = pos;
    while (wordEnd > wordStart && isDigit(text.charCodeAt(wordEnd - 1))) wordEnd--;
    if (wordEnd > wordStart) {
      WORDS[2 * found] = wordStart;
      WORDS[2 * found + 1] = wordEnd;
      found++;
    }
    pos = wordStart;
  }
  return WORDS;
}

function isAlnum(c: number): boolean {
  return isLower(c) || isUpper(c) || isDigit(c);
}

/** text[start, end), lower-cased, equals `word` (lower case). Word characters are ASCII alphanumerics. */
function wordIs(text: string, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) {
    const c = text.charCodeAt(start + i);
    if ((isUpper(c) ? c + 0x20 : c) !== word.charCodeAt(i)) return false;
  }
  return true;
}

function wordIn(text: string, start: number, end: number, words: readonly string[]): boolean {
  for (const word of words) if (wordIs(text, start, end, word)) return true;
  return false;
}

const SECRET_NOUN_LIST = [...SECRET_NOUNS];
const QUALIFIED_NOUN_LIST = [...QUALIFIED_NOUNS];
const KEY_QUALIFIER_LIST = [...KEY_QUALIFIERS];
const HEADER_NOUN_LIST = [...HEADER_NOUNS];

/** True when a value stored under `key` (object key, `KEY=value`, `"key": value`, header name) is a secret. */
export function isSecretLikeKey(key: string, start = 0, end = key.length): boolean {
  const words = lastKeyWords(key, start, end);
  const ls = words[0] as number;
  const le = words[1] as number;
  if (ls === -1) return false;
  const hasPrev = words[2] !== -1;
  if (wordIn(key, ls, le, SECRET_NOUN_LIST)) return true;
  if (wordIn(key, ls, le, QUALIFIED_NOUN_LIST)) return hasPrev;
  if (wordIs(key, ls, le, "key") || wordIs(key, ls, le, "keys")) {
    return hasPrev && wordIn(key, words[2] as number, words[3] as number, KEY_QUALIFIER_LIST);
  }
  if (le - ls > 3 && wordIs(key, le - 3, le, "key") && wordIn(key, ls, le - 3, KEY_QUALIFIER_LIST))
    return true;
  return GLUED_SUFFIXES.some(
    (suffix) => le - ls > suffix.length && wordIs(key, le - suffix.length, le, suffix),
  );
}

/**
 * Keys that are secret only when they hold a scalar: `auth` is a credential as a string but a status
 * record (`{ status, how }`) as an object, whose own fields are then judged one by one.
 */
export function isWeakSecretKey(key: string): boolean {
  const words = lastKeyWords(key, 0, key.length);
  return wordIs(key, words[0] as number, words[1] as number, "auth") && words[2] === -1;
}

/** Header-like keys whose unquoted value runs to the end of the line (`Authorization: Basic dXNl…`). */
export function isHeaderSecretKey(key: string, start = 0, end = key.length): boolean {
  const words = lastKeyWords(key, start, end);
  return words[0] !== -1 && wordIn(key, words[0] as number, words[1] as number, HEADER_NOUN_LIST);
}
