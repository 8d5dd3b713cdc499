/**
 * The secret rules: one table read by the redactor (`redact.ts`) and the changed-file scan
 * (`secret-scan.ts`) — value shapes (`secret-shapes.ts`), PEM private key blocks and assignments to
 * secret-like keys. Order is priority: when several rules cover the same text, the earlier one names
 * the finding.
 *
 * Candidates are found with native `indexOf` on an anchor — a one-character literal shared by many
 * rules (`_` of ghp_ and hf_, `-` of glpat- and sk-, `A` of AKIA and AIza, `J` of eyJ, `B` of Bearer
 * and -----BEGIN, `=` and `:` of assignments), so the text is walked about a dozen times — then
 * confirmed with a two-character table probe at each trigger offset and `startsWith` on the leads
 * before the rule's sticky pattern runs (`secret-detect.ts`). One regex alternation over all
 * triggers is several times slower in V8, and so are literals starting with a common letter. Patterns
 * use bounded quantifiers only and read at most `maxSpan` characters from the trigger (lookahead
 * included): that bound lets the stream redactor hold back a small tail and still produce exactly
 * what the whole-text redactor would. Every pattern's left boundary is the same
 * `(?<![A-Za-z0-9])`, so a token glued to a separator (`-`, `_`) — or to the end of another secret —
 * is still found in the first round.
 */

import { SHAPE_RULES } from "./secret-shapes.js";

export { REDACTED } from "./secret-value.js";
export { SHAPE_RULES };

/** A literal searched with indexOf; the trigger starts `offset` characters before it and with one of `leads`. */
export interface Trigger {
  readonly literal: string;
  readonly offset: number;
  readonly leads: readonly string[];
}

export interface ShapeRule {
  readonly id: string;
  readonly triggers: readonly Trigger[];
  /** Sticky; capture group 1 (if any, with the `d` flag) is the secret, otherwise the whole match. */
  readonly pattern: RegExp;
  /** Most characters the pattern can read from its trigger, lookahead included. */
  readonly maxSpan: number;
  /**
   * Leading characters of the secret that are a public marker (`ghp_`), safe to show in previews.
   * Defaults to the lead the trigger matched, when the secret starts at the trigger.
   */
  readonly prefix?: number;
  /** Extra test on the secret text to keep prose and identifiers out. */
  readonly accept?: (secret: string) => boolean;
  /**
   * A cheap necessary condition for `pattern` to match at the trigger `p`, tried first: for a
   * pattern that rarely matches where its trigger is common (`://` of every URL).
   */
  readonly mayMatchAt?: (text: string, p: number) => boolean;
}

/** PEM private key blocks: the whole block, BEGIN to END, is the secret. */
export const PEM_RULE_ID = "private-key";
export const PEM_TRIGGER: Trigger = { literal: "B", offset: 5, leads: ["-----BEGIN"] };
export const PEM_HEADER = /-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----/y;
export const PEM_FOOTER = /-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----/y;
export const PEM_HEADER_MAX = 10 + 40 + 11 + 6 + 5;
/** A block with no END within this many characters is redacted up to here (nothing real is that long). */
export const PEM_CAP = 64 * 1024;

/**
 * `KEY=value`, `"key": "value"`, `key: value` where the key names a secret (see secret-keys.ts).
 * Anchored at the operator and read backwards: operators are cheap to find, keywords are not.
 */
export const ASSIGNMENT_RULE_ID = "secret-assignment";
export const ASSIGNMENT_TRIGGERS: readonly Trigger[] = [
  { literal: "=", offset: 0, leads: ["="] },
  { literal: ":", offset: 0, leads: [":"] },
];

/** Rule ids in priority order (findings name the first rule that covers the text). */
export const RULE_PRIORITY: readonly string[] = [
  PEM_RULE_ID,
  ...SHAPE_RULES.map((r) => r.id),
  ASSIGNMENT_RULE_ID,
];
