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

/** Split `XApiKey`, `AWS_SECRET_ACCESS_KEY`, `set-cookie`, `db.password2` into lower-case words without trailing digits. */
export function splitKeyWords(key: string): string[] {
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2");
  const words: string[] = [];
  for (const raw of spaced.toLowerCase().split(/[^a-z0-9]+/)) {
    const word = raw.replace(/[0-9]+$/, "");
    if (word !== "") words.push(word);
  }
  return words;
}

function isKeyNoun(word: string): boolean {
  return word === "key" || word === "keys";
}

/** True when a value stored under `key` (object key, `KEY=value`, `"key": value`, header name) is a secret. */
export function isSecretLikeKey(key: string): boolean {
  const words = splitKeyWords(key);
  const last = words[words.length - 1];
  if (last === undefined) return false;
  if (SECRET_NOUNS.has(last)) return true;
  if (QUALIFIED_NOUNS.has(last)) return words.length >= 2;
  if (isKeyNoun(last)) {
    const prev = words[words.length - 2];
    return prev !== undefined && KEY_QUALIFIERS.has(prev);
  }
  if (last.endsWith("key") && KEY_QUALIFIERS.has(last.slice(0, -3))) return true;
  return GLUED_SUFFIXES.some((suffix) => last.length > suffix.length && last.endsWith(suffix));
}

/**
 * Keys that are secret only when they hold a scalar: `auth` is a credential as a string but a status
 * record (`{ status, how }`) as an object, whose own fields are then judged one by one.
 */
export function isWeakSecretKey(key: string): boolean {
  const words = splitKeyWords(key);
  return words.length === 1 && words[0] === "auth";
}

/** Header-like keys whose unquoted value runs to the end of the line (`Authorization: Basic dXNl…`). */
export function isHeaderSecretKey(key: string): boolean {
  const words = splitKeyWords(key);
  const last = words[words.length - 1];
  return last !== undefined && HEADER_NOUNS.has(last);
}
