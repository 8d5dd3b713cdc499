/**
 * The secret value shapes: one table read by the redactor (`redact.ts`) and the changed-file scan
 * (`secret-scan.ts`). Order is priority: when several rules cover the same text, the earlier one
 * names the finding.
 *
 * Candidates are found with native `indexOf` on an anchor — a short literal whose first character
 * is rare in ordinary text (`_` of ghp_, `I` of AKIA, `J` of eyJ, `B` of Bearer and -----BEGIN) —
 * shared by several rules so the text is walked ~9 times, then confirmed with a one-character probe
 * and `startsWith` on the rule's leads before its sticky pattern runs (`secret-detect.ts`). One
 * regex alternation over all triggers is several times slower in V8, and so are short anchors
 * starting with a common letter (`npm_`, `earer`). Patterns use bounded quantifiers only and read at most `maxSpan`
 * characters from the trigger (lookahead included): that bound lets the stream redactor hold back a
 * small tail and still produce exactly what the whole-text redactor would. Every pattern's left
 * boundary is the same `(?<![A-Za-z0-9])`, so a token glued to a separator (`-`, `_`) — or to the end
 * of another secret — is still found in the first round.
 */

export const REDACTED = "[REDACTED]";

/**
 * True when text[start, end) holds nothing but placeholders and whitespace: a value that was
 * already redacted (possibly as several merged pieces) and must not match again.
 */
function isOnlyPlaceholders(text: string, start = 0, end = text.length): boolean {
  let i = start;
  while (i < end) {
    if (text.startsWith(REDACTED, i) && i + REDACTED.length <= end) i += REDACTED.length;
    else if (/\s/.test(text.charAt(i))) i++;
    else return false;
  }
  return true;
}

/** A literal searched with indexOf; the trigger starts `offset` characters before it. */
export interface Anchor {
  readonly literal: string;
  readonly offset: number;
}

export interface ShapeRule {
  readonly id: string;
  readonly anchors: readonly Anchor[];
  /** The trigger starts with one of these (checked before the pattern runs). */
  readonly leads: readonly string[];
  /** Sticky; capture group 1 (if any, with the `d` flag) is the secret, otherwise the whole match. */
  readonly pattern: RegExp;
  /** Most characters the pattern can read from its trigger, lookahead included. */
  readonly maxSpan: number;
  /** Leading characters of the secret that are a public marker (`ghp_`), safe to show in previews. */
  readonly prefix: number;
  /** Extra test on the secret text to keep prose and identifiers out. */
  readonly accept?: (secret: string) => boolean;
}

const hasDigit = (s: string): boolean => /[0-9]/.test(s);
const looksRandom = (s: string): boolean => /[0-9]/.test(s) && /[A-Z]/.test(s) && /[a-z]/.test(s);

export const SHAPE_RULES: readonly ShapeRule[] = [
  {
    id: "github-fine-grained-pat",
    anchors: [{ literal: "_", offset: 6 }],
    leads: ["github_pat_"],
    pattern: /(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{82,240}(?![A-Za-z0-9_])/y,
    maxSpan: 11 + 240 + 1,
    prefix: 11,
  },
  {
    id: "github-token",
    anchors: [{ literal: "_", offset: 3 }],
    leads: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
    pattern: /(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{36,251}(?![A-Za-z0-9])/y,
    maxSpan: 4 + 251 + 1,
    prefix: 4,
  },
  {
    id: "aws-access-key-id",
    anchors: [{ literal: "I", offset: 2 }],
    leads: ["AKIA", "ASIA"],
    pattern: /(?<![A-Za-z0-9])A[KS]IA[A-Z0-9]{16}(?![A-Za-z0-9])/y,
    maxSpan: 20 + 1,
    prefix: 4,
  },
  {
    id: "slack-token",
    anchors: [{ literal: "xox", offset: 0 }],
    leads: ["xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-"],
    pattern: /(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])/y,
    maxSpan: 5 + 250 + 1,
    prefix: 5,
  },
  {
    id: "stripe-key",
    anchors: [{ literal: "_", offset: 2 }],
    leads: ["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
    pattern: /(?<![A-Za-z0-9])[rs]k_(?:live|test)_[A-Za-z0-9]{16,247}(?![A-Za-z0-9])/y,
    maxSpan: 8 + 247 + 1,
    prefix: 8,
  },
  {
    id: "anthropic-api-key",
    anchors: [{ literal: "k-", offset: 1 }],
    leads: ["sk-ant-"],
    pattern: /(?<![A-Za-z0-9])sk-ant-[A-Za-z0-9_-]{20,250}(?![A-Za-z0-9_-])/y,
    maxSpan: 7 + 250 + 1,
    prefix: 7,
  },
  {
    id: "openai-api-key",
    anchors: [{ literal: "k-", offset: 1 }],
    leads: ["sk-"],
    pattern: /(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{20,250}(?![A-Za-z0-9_-])/y,
    maxSpan: 3 + 250 + 1,
    prefix: 3,
    // `sk-learn-style-pipeline-names` is prose; real keys are random mixed-case alphanumerics.
    accept: (s) => looksRandom(s.slice(3)),
  },
  {
    id: "npm-token",
    anchors: [{ literal: "_", offset: 3 }],
    leads: ["npm_"],
    pattern: /(?<![A-Za-z0-9])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/y,
    maxSpan: 40 + 1,
    prefix: 4,
  },
  {
    id: "google-api-key",
    anchors: [{ literal: "I", offset: 1 }],
    leads: ["AIza"],
    pattern: /(?<![A-Za-z0-9])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/y,
    maxSpan: 39 + 1,
    prefix: 4,
  },
  {
    id: "jwt",
    anchors: [{ literal: "J", offset: 2 }],
    leads: ["eyJ"],
    // Payload and signature share one bounded run, so an oversized token still loses its head.
    pattern: /(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]{4,600}\.eyJ[A-Za-z0-9_.-]{4,1400}/y,
    maxSpan: 3 + 600 + 4 + 1400 + 1,
    prefix: 0,
  },
  {
    id: "bearer-token",
    anchors: [
      { literal: "B", offset: 0 },
      { literal: "bearer", offset: 0 },
    ],
    leads: ["Bearer", "bearer", "BEARER"],
    pattern: /(?<![A-Za-z0-9])bearer[ \t]{1,8}([A-Za-z0-9._~+/-]{8,1900}={0,3})/diy,
    maxSpan: 6 + 8 + 1900 + 3 + 1,
    prefix: 0,
    // "Bearer authentication" is prose; tokens carry digits.
    accept: hasDigit,
  },
  {
    id: "url-credentials",
    anchors: [{ literal: ":", offset: 0 }],
    leads: ["://"],
    pattern:
      /(?<=(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,31}):\/\/[^\s:/?#@"'<>[\]]{0,128}:([^\s/?#"'<>]{1,256})@/dy,
    maxSpan: 3 + 128 + 1 + 256 + 1 + 1,
    prefix: 0,
    accept: (s) => !isOnlyPlaceholders(s),
  },
];

/** PEM private key blocks: the whole block, BEGIN to END, is the secret. */
export const PEM_RULE_ID = "private-key";
export const PEM_ANCHOR: Anchor = { literal: "B", offset: 5 };
export const PEM_LEAD = "-----BEGIN";
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
export const ASSIGNMENT_ANCHORS: readonly Anchor[] = [
  { literal: "=", offset: 0 },
  { literal: ":", offset: 0 },
];

/** Rule ids in priority order (findings name the first rule that covers the text). */
export const RULE_PRIORITY: readonly string[] = [
  PEM_RULE_ID,
  ...SHAPE_RULES.map((r) => r.id),
  ASSIGNMENT_RULE_ID,
];
