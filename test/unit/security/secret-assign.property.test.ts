import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mayBeAssignmentAt, mayEndKeyAt, mayFollowKey } from "../../../src/security/secret-assign.js";
import { isHeaderSecretKey, isSecretLikeKey, mayEndSecretKey } from "../../../src/security/secret-keys.js";
import { ALNUM, chars } from "./secret-arbitraries.js";

/**
 * Strings glued from 1–`pieces` pieces in any order: the given `words`, runs of up to `alnum` letters
 * and digits, and runs of up to `separators` digits and separators.
 */
function glued(
  words: readonly string[],
  sizes: { alnum: number; separators: number; pieces: number },
): fc.Arbitrary<string> {
  const piece = fc.oneof(
    fc.constantFrom(...words),
    chars(ALNUM, 1, sizes.alnum),
    chars("0123456789_.-", 1, sizes.separators),
  );
  return fc.array(piece, { minLength: 1, maxLength: sizes.pieces }).map((p) => p.join(""));
}

/** Key words, quotes, escapes, blanks and operators glued in any order around `=` and `:`. */
const text = glued(
  [
    "token",
    "Token",
    "TOKEN",
    "password",
    "apiKey",
    "api_key",
    "secret2",
    "db_pass",
    "auth",
    "Authorization",
    "cookies",
    "key",
    "keys",
    "pwd",
    "x",
    '"',
    "'",
    '\\"',
    "\\\\",
    "]",
    "[",
    " ",
    "\t",
    "         ",
    "=",
    ":",
    "::",
    "=>",
    "==",
    "_",
    ".",
    "-",
    "\u00e9",
    "\u4e00",
  ],
  { alnum: 4, separators: 18, pieces: 16 },
);

describe("mayFollowKey", () => {
  it("holds wherever mayBeAssignmentAt does (the detector skips every operator it rejects)", () => {
    fc.assert(
      fc.property(text, (t) => {
        for (let op = 0; op < t.length; op++) {
          const c = t.charCodeAt(op);
          if ((c === 0x3d || c === 0x3a) && mayBeAssignmentAt(t, op)) expect(mayFollowKey(t, op)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("mayEndKeyAt", () => {
  it("holds wherever mayFollowKey does (the detector calls mayFollowKey only where it holds)", () => {
    fc.assert(
      fc.property(text, (t) => {
        for (let op = 0; op < t.length; op++) {
          const c1 = op > 0 ? t.charCodeAt(op - 1) : 0;
          // As the detector reads it: the character before the operator, or before its blank.
          const k = c1 === 0x20 && op > 1 ? op - 2 : op - 1;
          if (k >= 0 && mayFollowKey(t, op)) expect(mayEndKeyAt(t, k, t.charCodeAt(k))).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("key words read in place", () => {
  it("judge text[start, end) exactly as the same key sliced out", () => {
    fc.assert(
      fc.property(text, fc.nat(), fc.nat(), (t, a, b) => {
        const start = a % (t.length + 1);
        const end = start + (b % (t.length - start + 1));
        const key = t.slice(start, end);
        expect(isSecretLikeKey(t, start, end)).toBe(isSecretLikeKey(key));
        expect(isHeaderSecretKey(t, start, end)).toBe(isHeaderSecretKey(key));
      }),
      { numRuns: 3000 },
    );
  });
});

describe("mayEndSecretKey", () => {
  /** Keys of key characters only, as parseAssignmentAt reads them. */
  const key = glued(
    [
      "token",
      "Token",
      "TOKEN",
      "accesstoken",
      "authorization",
      "Authorization",
      "location",
      "password",
      "keyword",
      "passphrase",
      "cookies",
      "properties",
      "class",
      "pass",
      "Key",
      "keys",
      "apiKey",
      "private",
      "api",
      "auth",
      "creds",
      "dsn",
    ],
    { alnum: 3, separators: 6, pieces: 6 },
  );

  it("holds for every key isSecretLikeKey accepts (parseAssignmentAt rejects the rest before the key walk)", () => {
    fc.assert(
      fc.property(key, (k) => {
        // Past 16 trailing digits and separators mayEndSecretKey gives up by design.
        if (/[0-9_.-]{16,}$/.test(k)) return;
        if (isSecretLikeKey(k)) expect(mayEndSecretKey(k, k.length)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});
