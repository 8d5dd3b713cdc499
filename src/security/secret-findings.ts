/**
 * Turns detector matches into reportable findings with a redacted one-line preview. The redactor
 * removes everything the rules match; a finding is stricter, because a finding blocks a run and
 * `password: string`, `token = getToken()`, `this.scopeAuthKey = scopeAuthKey`, a documentation
 * example or `postgres://user:password@localhost` are code and docs, not leaked secrets.
 *
 * TextScanner judges a text of any length piece by piece: it keeps a bounded window (left context,
 * the triggers being judged, and everything their verdicts can read after them), so a 5 GiB file is
 * scanned in constant memory with the same verdicts as the whole text.
 */

import { keepMapAlive } from "./keep-maps.js";
import { redactText } from "./redact.js";
import { detectSecrets, MAX_SPAN, mergeRanges, type SecretMatch } from "./secret-detect.js";
import { ASSIGNMENT_RULE_ID, REDACTED, RULE_PRIORITY } from "./secret-rules.js";
import { isPlaceholderValue, isWordLike } from "./secret-value.js";

export interface TextFinding {
  /** 1-based line of the first character of the secret. */
  line: number;
  rule: string;
  /** The line with every secret replaced (public markers such as `AKIA` kept), at most ~160 characters. */
  preview: string;
}

const PREVIEW_MAX = 160;
const PREVIEW_LEAD = 40;
const REFERENCE = /^[$%@<#]|\$\{|\{\{|%\(/;
const MEMBER_EXPRESSION = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** Head nouns whose quoted values are secrets even when they read like words (a password is a password). */
const STRONG_NOUN = /(?:pass(?:word|wd|phrase)?|pwd|secrets?|credentials?|creds)$/i;

/** A literal that looks like a real credential rather than a placeholder, reference or word. */
function isLikelyLiteralSecret(value: string, quoted: boolean): boolean {
  if (value.length < 8 || /\s/.test(value)) return false;
  if (REFERENCE.test(value) || isPlaceholderValue(value) || /^(.)\1*$/.test(value)) return false;
  if (!quoted && (/[()[\]{}]/.test(value) || MEMBER_EXPRESSION.test(value))) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((c) => c.test(value)).length;
  return classes >= 2;
}

/** `KEY=value`, `  key: value`, `export KEY=value`, `- KEY=value` at the start of a line: config, not code. */
function keyStartsLine(text: string, keyStart: number): boolean {
  const lineStart = text.lastIndexOf("\n", keyStart - 1) + 1;
  if (keyStart - lineStart > 64) return false;
  return /^[ \t]*(?:export[ \t]+|-[ \t]+)?["']?$/.test(text.slice(lineStart, keyStart));
}

/** Nothing but blanks, or a `#` comment, after the value: a config line (code goes on with `;`, `,`, `)` …). */
function valueEndsLine(text: string, end: number): boolean {
  let i = end;
  while (i < text.length && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09)) i++;
  const c = text.charCodeAt(i);
  return Number.isNaN(c) || c === 0x0a || c === 0x0d || (c === 0x23 && i > end);
}

function normalized(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** `this.token = token`, `exports.AUTH = AUTH`, `"js-cookie": "js.cookie"`: the value names its own key. */
function namesItsKey(key: string, value: string): boolean {
  const v = normalized(value);
  const last = key.slice(key.lastIndexOf(".") + 1);
  return v === normalized(last) || v === normalized(key);
}

function isReportableAssignment(text: string, m: SecretMatch, value: string): boolean {
  // `token === "…"`, `if (auth == "…")`: a comparison, not an assignment.
  if (text.charCodeAt(m.trigger) === 0x3d && text.charCodeAt(m.trigger + 1) === 0x3d) return false;
  const quoted = m.quoted === true;
  if (!isLikelyLiteralSecret(value, quoted)) return false;
  const keyStart = m.keyStart ?? m.start;
  const key = text.slice(keyStart, m.keyEnd ?? keyStart);
  if (namesItsKey(key, value)) return false;
  if (quoted) return STRONG_NOUN.test(key) || !isWordLike(value);
  if (!keyStartsLine(text, keyStart) || !valueEndsLine(text, m.end)) return false;
  // `token = nextToken` (code) versus `TOKEN=hunter2xyz` / `token: hunter2xyz` (env, YAML).
  const spaced = text.charCodeAt(m.trigger) === 0x3d && text.charCodeAt(m.trigger - 1) === 0x20;
  return !(spaced && IDENTIFIER.test(value) && isWordLike(value));
}

function isReportable(text: string, m: SecretMatch): boolean {
  const value = text.slice(m.start, m.end);
  if (m.rule === ASSIGNMENT_RULE_ID) return isReportableAssignment(text, m, value);
  if (m.rule === "url-credentials") {
    const user = text.slice(m.trigger + 3, m.start - 1);
    return value !== user && isLikelyLiteralSecret(value, true);
  }
  return !isPlaceholderValue(value);
}

function priority(rule: string): number {
  const i = RULE_PRIORITY.indexOf(rule);
  return i === -1 ? RULE_PRIORITY.length : i;
}

function sanitizeLine(line: string): string {
  return line.replace(/\t/g, " ").replace(/[\x00-\x1f\x7f]/g, "?");
}

/**
 * Characters of a long line kept on either side of a finding before the preview is cut from it:
 * more than any token's length, so a secret cut at the region's edge cannot reach the preview.
 */
const PREVIEW_REGION = 4096;

function buildPreview(text: string, at: number, matches: readonly SecretMatch[]): string {
  const nl = text.indexOf("\n", at);
  const fullLineStart = text.lastIndexOf("\n", at - 1) + 1;
  const lineStart = Math.max(fullLineStart, at - PREVIEW_REGION);
  const lineEnd = Math.min(nl === -1 ? text.length : nl, at + PREVIEW_REGION);
  const inLine = matches.filter((m) => m.start < lineEnd && m.end > lineStart);
  const ranges = mergeRanges(inLine.map((m) => [Math.max(m.start, lineStart), Math.min(m.end, lineEnd)]));
  let out = "";
  let pos = lineStart;
  let marker = 0;
  for (const [start, end] of ranges) {
    out += text.slice(pos, start);
    if (start <= at && at < end) marker = out.length;
    const head = inLine.find((m) => m.start === start && m.prefix > 0);
    out += (head === undefined ? "" : text.slice(start, start + head.prefix)) + REDACTED;
    pos = end;
  }
  out += text.slice(pos, lineEnd);
  const safe = sanitizeLine(redactText(out));
  if (safe.length <= PREVIEW_MAX) return safe.trimEnd();
  const from = safe === sanitizeLine(out) ? Math.max(0, marker - PREVIEW_LEAD) : 0;
  const window = safe.slice(from, from + PREVIEW_MAX);
  const cutBefore = from > 0 || lineStart > fullLineStart;
  return `${cutBefore ? "…" : ""}${window}${from + PREVIEW_MAX < safe.length ? "…" : ""}`;
}

interface Found extends TextFinding {
  /** Absolute offsets of the secret in the whole text. */
  start: number;
  end: number;
}

/** Triggers are judged this many characters at a time (unless the caller asks for smaller windows). */
const WINDOW = 1 << 20;
/** Text kept before the triggers being judged: verdict context, the key's line start, preview context. */
const LEFT_CONTEXT = 4096;
/**
 * Text held after the last trigger judged: everything a verdict other than an open PEM block reads
 * (MAX_SPAN), and the preview region after the secret. A PEM block whose END is further away blocks
 * the judging at its trigger until the END (or PEM_CAP) arrives, so its verdict is the whole text's.
 */
const LOOKAHEAD = 8192;
/** Characters of dropped text held until their newlines are counted. */
const UNCOUNTED_MAX = 4 * 1024 * 1024;
if (LOOKAHEAD < MAX_SPAN + PREVIEW_REGION + 1) throw new Error("TextScanner: LOOKAHEAD too short");

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf("\n", from); i !== -1 && i < to; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * Findings of one text fed in pieces of any size. Equal to findSecretsInText of the whole text:
 * same lines and rules, and the same previews for lines shorter than the window.
 */
export class TextScanner {
  readonly #window: number;
  /**
   * Text from #base (absolute) on: #text, then the pieces pushed since the last window. They are
   * joined once per window into a flat string — text grown with `+=` is a rope, and every character
   * read of the detector walks into it.
   */
  #text = "";
  #pieces: string[] = [];
  #length = 0;
  #base = 0;
  /** Line number at #base, once the newlines of #uncounted are added. */
  #line = 1;
  /**
   * Text dropped from the front of the window whose newlines are not counted yet: counting them is
   * a pass over the whole text, worth it only once a finding needs its line number.
   */
  #uncounted: string[] = [];
  #uncountedLength = 0;
  /** Triggers before this absolute position are judged. */
  #judged = 0;
  /** Absolute text length at which the next window is judged. */
  #next: number;
  #found: Found[] = [];
  #finished = false;
  /** Every chunk pushed is a flat string (freshly decoded): see #flatText. */
  readonly #flatChunks: boolean;
  /** The string #flatText returned is known flat, so the detector need not copy it. */
  #textIsFlat = false;

  /**
   * `window`: characters judged at a time. Small windows keep every string the scanner builds small
   * (V8 allocates strings over ~128 KiB one by one in large-object space, several times slower than
   * copying them); tests also use them to exercise the seams. `flatChunks`: the caller pushes only
   * strings it decoded itself, never a slice or a concatenation.
   */
  constructor(options: { window?: number; flatChunks?: boolean } = {}) {
    this.#window = options.window ?? WINDOW;
    this.#flatChunks = options.flatChunks ?? false;
    this.#next = this.#window + LOOKAHEAD;
  }

  push(chunk: string): void {
    if (this.#finished) throw new Error("TextScanner: push after finish");
    this.#pieces.push(chunk);
    this.#length += chunk.length;
    if (this.#base + this.#length >= this.#next) this.#judge(false);
  }

  /** All findings, in text order, one per run of overlapping matches, named by the most specific rule. */
  finish(): TextFinding[] {
    if (!this.#finished) {
      this.#finished = true;
      this.#judge(true);
      this.#text = "";
      this.#pieces = [];
    }
    return group(this.#found);
  }

  #judge(atEnd: boolean): void {
    const text = this.#flatText();
    const base = this.#base;
    const to = atEnd ? text.length : text.length - LOOKAHEAD;
    // Every verdict but an open PEM block's reads only text we hold; one that does not is left
    // undecided (resolvedUntil stops at its trigger) and judged again once more text is in.
    const found = detectSecrets(text, { from: this.#judged - base, to, atEnd, flat: this.#textIsFlat });
    const until = Math.min(found.resolvedUntil, to);
    const { matches } = found;
    const reportable = matches
      .filter((m) => m.trigger < until && isReportable(text, m))
      .sort((a, b) => a.start - b.start);
    if (reportable.length > 0) this.#countDropped();
    let line = this.#line;
    let counted = 0;
    for (const m of reportable) {
      line += countNewlines(text, counted, m.start);
      counted = m.start;
      const preview = buildPreview(text, m.start, matches);
      this.#found.push({ line, rule: m.rule, preview, start: base + m.start, end: base + m.end });
    }
    this.#judged = base + until;
    this.#next =
      until < to
        ? base + Math.min(found.resumeAt, text.length + this.#window)
        : this.#judged + this.#window + LOOKAHEAD;
    const keep = Math.max(0, until - LEFT_CONTEXT);
    if (keep > 0 && !this.#finished) {
      this.#uncounted.push(text.slice(0, keep));
      this.#uncountedLength += keep;
      // Bounded, so a long stream is still scanned in constant memory.
      if (this.#uncountedLength > UNCOUNTED_MAX) this.#countDropped();
      this.#text = text.slice(keep);
      this.#base = base + keep;
    } else {
      this.#text = text;
    }
    this.#length = this.#text.length;
  }

  /**
   * The held text as one string without cons parts; a text pushed whole (findSecretsInText) is used
   * as it is. Joining two or more non-empty parts allocates a flat string; a single part is flat
   * only if it is a chunk and chunks are (the held text is a slice of the previous window).
   */
  #flatText(): string {
    const pieces = this.#pieces;
    this.#pieces = [];
    let parts = this.#text === "" ? 0 : 1;
    for (const piece of pieces) if (piece !== "") parts++;
    this.#textIsFlat = parts >= 2 || (parts === 1 && this.#text === "" && this.#flatChunks);
    if (pieces.length === 0) return this.#text;
    if (this.#text === "" && pieces.length === 1) return pieces[0] as string;
    return [this.#text, ...pieces].join("");
  }

  #countDropped(): void {
    for (const dropped of this.#uncounted) this.#line += countNewlines(dropped, 0, dropped.length);
    this.#uncounted = [];
    this.#uncountedLength = 0;
  }
}

keepMapAlive(new TextScanner());

function group(found: Found[]): TextFinding[] {
  const sorted = [...found].sort((a, b) => a.start - b.start);
  const findings: TextFinding[] = [];
  let groupEnd = -1;
  for (const f of sorted) {
    const last = findings[findings.length - 1];
    if (last !== undefined && f.start < groupEnd) {
      if (priority(f.rule) < priority(last.rule)) last.rule = f.rule;
      groupEnd = Math.max(groupEnd, f.end);
      continue;
    }
    findings.push({ line: f.line, rule: f.rule, preview: f.preview });
    groupEnd = f.end;
  }
  return findings;
}

/** Secrets in one text, one finding per run of overlapping matches, named by the most specific rule. */
export function findSecretsInText(text: string): TextFinding[] {
  const scanner = new TextScanner();
  scanner.push(text);
  return scanner.finish();
}
