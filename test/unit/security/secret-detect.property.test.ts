import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAssignmentAt } from "../../../src/security/secret-assign.js";
import { detectSecrets } from "../../../src/security/secret-detect.js";
import { PEM_RULE_ID, SHAPE_RULES } from "../../../src/security/secret-rules.js";
import { ALNUM, anySecret, chars, TRICKY } from "./secret-arbitraries.js";

/**
 * The detector finds candidates through anchors, lookup tables and cheap rejections before any rule
 * runs. The straightforward path runs every rule at every place one of its leads occurs, and parses
 * an assignment at every `=` and `:`: whatever a shortcut skips that this finds is a lost secret.
 */
function everywhere(text: string): string[] {
  const found = new Set<string>();
  for (const rule of SHAPE_RULES) {
    for (const { leads } of rule.triggers) {
      for (const lead of leads) {
        for (let p = text.indexOf(lead); p !== -1; p = text.indexOf(lead, p + 1)) {
          rule.pattern.lastIndex = p;
          const m = rule.pattern.exec(text);
          if (m === null) continue;
          const group = m.indices?.[1];
          const [start, end] = group ?? [p, p + m[0].length];
          const secret = group === undefined ? m[0] : (m[1] ?? "");
          if (rule.accept !== undefined && !rule.accept(secret)) continue;
          found.add(`${rule.id} ${p} ${start}-${end}`);
        }
      }
    }
  }
  for (let op = 0; op < text.length; op++) {
    const c = text.charCodeAt(op);
    if (c !== 0x3d && c !== 0x3a) continue;
    const value = parseAssignmentAt(text, op);
    if (value !== undefined) found.add(`secret-assignment ${op} ${value.start}-${value.end}`);
  }
  return [...found].sort();
}

function detected(text: string): string[] {
  const { matches } = detectSecrets(text);
  return [
    ...new Set(
      matches.filter((m) => m.rule !== PEM_RULE_ID).map((m) => `${m.rule} ${m.trigger} ${m.start}-${m.end}`),
    ),
  ].sort();
}

/** Key words and separators that make `=`/`:` worth parsing, and word runs that glue onto leads. */
const KEYISH = [
  "token",
  "Token",
  "PASSWORD",
  "api_key",
  "apiKey",
  "client_secret",
  "db_pass",
  "auth",
  "creds",
  '\\"',
  '"',
  "'",
  "]",
  " ",
  "\t",
  "        ",
  "=",
  ":",
  ":=",
  "=>",
  "==",
  "-",
  "_",
  ".",
] as const;

/** Pieces glued with no delimiter, so leads sit right after words, digits and separators. */
const piece = fc.oneof(
  anySecret.map((s) => s.text),
  fc.constantFrom(...TRICKY),
  fc.constantFrom(...KEYISH),
  chars(ALNUM, 1, 6),
  chars(`${ALNUM}_.-`, 20, 60),
);

describe("detectSecrets", () => {
  it("finds exactly what running every rule at every lead (and parsing every operator) finds", () => {
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 30 }), (pieces) => {
        const text = pieces.join("");
        expect(detected(text)).toEqual(everywhere(text));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("mayMatchAt", () => {
  /** URL credentials with user parts of every length around the pattern's 128, among URL-ish noise. */
  const userChar = fc.constantFrom(
    ..."abcXYZ019.-_%!",
    "\u00e9",
    "\u4e00",
    "\u00a0",
    "\u3000",
    "@",
    "/",
    " ",
  );
  const credentials = fc
    .tuple(
      fc.constantFrom("https", "postgres", "x", ""),
      fc.oneof(
        fc.integer({ min: 0, max: 140 }).chain((n) => chars("abcXYZ019.-_%!\u00e9\u4e00", n, n)),
        fc.array(userChar, { maxLength: 140 }).map((c) => c.join("")),
      ),
      chars(`${ALNUM}:`, 1, 12),
      fc.constantFrom("@db", "@", "/x@y", ""),
    )
    .map(([scheme, user, pass, host]) => `${scheme}://${user}:${pass}${host}`);
  const url = fc
    .array(
      fc.oneof(
        credentials,
        fc.constantFrom("://", ":", "@", "/", "?", "#", " ", '"', "[", "]", "\u00a0", "\n"),
        chars(ALNUM, 1, 8),
      ),
      { minLength: 1, maxLength: 6 },
    )
    .map((parts) => parts.join(""));

  it("holds wherever its rule's pattern matches (it only skips the pattern)", () => {
    const rules = SHAPE_RULES.filter((r) => r.mayMatchAt !== undefined);
    expect(rules.length).toBeGreaterThan(0);
    let matched = 0;
    fc.assert(
      fc.property(url, (text) => {
        for (const rule of rules) {
          for (let p = 0; p < text.length; p++) {
            rule.pattern.lastIndex = p;
            if (rule.pattern.exec(text) === null) continue;
            matched++;
            expect(rule.mayMatchAt?.(text, p)).toBe(true);
          }
        }
      }),
      { numRuns: 3000 },
    );
    // The generator must reach the pattern often, or the property says nothing.
    expect(matched).toBeGreaterThan(200);
  });
});
