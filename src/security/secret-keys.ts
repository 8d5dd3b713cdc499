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

/** Lower-case last three letters of every key isSecretLikeKey accepts (see mayBeSecretKey). */
const SECRET_KEY_TAILS = new Uint8Array(26 * 26 * 26);

function tailIndex(a: number, b: number, c: number): number {
  return (a - 0x61) * 676 + (b - 0x61) * 26 + (c - 0x61);
}

for (const word of [
  ...SECRET_NOUNS,
  ...QUALIFIED_NOUNS,
  ...GLUED_SUFFIXES,
  "key",
  "keys",
  ...[...KEY_QUALIFIERS].map((q) => `${q}key`),
]) {
  SECRET_KEY_TAILS[
    tailIndex(
      word.charCodeAt(word.length - 3),
      word.charCodeAt(word.length - 2),
      word.charCodeAt(word.length - 1),
    )
  ] = 1;
}

/**
 * 1 for every UTF-16 code unit that can end a key mayEndSecretKey accepts: the last letter of a
 * secret noun (either case), a digit, `_`, `.` or `-`. One read rejects most `=` and `:` of code.
 */
export const SECRET_KEY_END_CHARS = new Uint8Array(65536);
for (let i = 0; i < SECRET_KEY_TAILS.length; i++) {
  if (SECRET_KEY_TAILS[i] !== 1) continue;
  const last = 0x61 + (i % 26);
  SECRET_KEY_END_CHARS[last] = 1;
  SECRET_KEY_END_CHARS[last - 0x20] = 1;
}
for (let c = 0x30; c <= 0x39; c++) SECRET_KEY_END_CHARS[c] = 1;
for (const c of "_.-") SECRET_KEY_END_CHARS[c.charCodeAt(0)] = 1;

/** Lower-case ASCII letter code, or 0 for anything else. */
function lowerLetter(c: number): number {
  if (c >= 0x61 && c <= 0x7a) return c;
  if (c >= 0x41 && c <= 0x5a) return c + 0x20;
  return 0;
}

/**
 * Cheap necessary condition for a secret-like key ending at `end` (exclusive): after up to 16 trailing
 * digits or separators, the key ends in the last three letters of a secret noun. Lets the assignment
 * detector reject nearly every `=`/`:` in a few character reads, before finding where the key starts.
 */
export function mayEndSecretKey(text: string, end: number): boolean {
  let e = end;
  for (let n = 0; n < 16 && e > 0; n++) {
    const c = text.charCodeAt(e - 1);
    if (!isDigit(c) && c !== 0x5f && c !== 0x2e && c !== 0x2d) break;
    e--;
  }
  if (e < 3) return false;
  const a = lowerLetter(text.charCodeAt(e - 3));
  const b = lowerLetter(text.charCodeAt(e - 2));
  const c = lowerLetter(text.charCodeAt(e - 1));
  return a !== 0 && b !== 0 && c !== 0 && SECRET_KEY_TAILS[tailIndex(a, b, c)] === 1;
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
 * The last two words of text[start, end): words are ASCII alphanumeric runs split at camelCase
 * boundaries, lower-cased, trailing digits dropped, empty words skipped (`AWS_SECRET_ACCESS_KEY` →
 * access, key; `XApiKey` → api, key; `password_2` → password). Scans backwards without regexes: it
 * runs for every `=`/`:` whose key survives mayBeSecretKey.
 */
function lastKeyWords(text: string, start = 0, end = text.length): [string | undefined, string | undefined] {
  const words: string[] = [];
  let pos = end;
  while (pos > start && words.length < 2) {
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
    if (wordEnd > wordStart) words.push(text.slice(wordStart, wordEnd).toLowerCase());
    pos = wordStart;
  }
  return [words[0], words[1]];
}

function isAlnum(c: number): boolean {
  return isLower(c) || isUpper(c) || isDigit(c);
}

function isKeyNoun(word: string): boolean {
  return word === "key" || word === "keys";
}

/** True when a value stored under `key` (object key, `KEY=value`, `"key": value`, header name) is a secret. */
export function isSecretLikeKey(key: string, start = 0, end = key.length): boolean {
  const [last, prev] = lastKeyWords(key, start, end);
  if (last === undefined) return false;
  if (SECRET_NOUNS.has(last)) return true;
  if (QUALIFIED_NOUNS.has(last)) return prev !== undefined;
  if (isKeyNoun(last)) return prev !== undefined && KEY_QUALIFIERS.has(prev);
  if (last.endsWith("key") && KEY_QUALIFIERS.has(last.slice(0, -3))) return true;
  return GLUED_SUFFIXES.some((suffix) => last.length > suffix.length && last.endsWith(suffix));
}

/**
 * Keys that are secret only when they hold a scalar: `auth` is a credential as a string but a status
 * record (`{ status, how }`) as an object, whose own fields are then judged one by one.
 */
export function isWeakSecretKey(key: string): boolean {
  const [last, prev] = lastKeyWords(key);
  return last === "auth" && prev === undefined;
}

/** Header-like keys whose unquoted value runs to the end of the line (`Authorization: Basic dXNl…`). */
export function isHeaderSecretKey(key: string): boolean {
  const [last] = lastKeyWords(key);
  return last !== undefined && HEADER_NOUNS.has(last);
}
