/**
 * Finds secrets in text. Each rule's anchors (rare literals, and `=`/`:` for assignments) are found
 * with native indexOf, confirmed with startsWith on the rule's leads, then judged by the rule at the
 * trigger position. A verdict depends only on the text from CONTEXT_CHARS before its trigger to
 * `maxSpan` after it, never on other verdicts, so a stream can be judged piecewise with exactly the
 * whole-text result.
 */

import {
  ALNUM,
  type Anchor,
  ASCII,
  ASSIGNMENT_MAX_SPAN,
  buildAnchors,
  type Evaluator,
  isUnresolved,
  type SecretMatch,
  type Table,
  type Unresolved,
} from "./secret-anchors.js";
import { BEFORE_OPERATOR, mayEndKeyAt, mayFollowKey } from "./secret-assign.js";
import {
  ASSIGNMENT_RULE_ID,
  ASSIGNMENT_TRIGGERS,
  PEM_HEADER_MAX,
  PEM_TRIGGER,
  SHAPE_RULES,
  type Trigger,
} from "./secret-rules.js";

export type { SecretMatch } from "./secret-anchors.js";
export { CONTEXT_CHARS } from "./secret-anchors.js";

export interface DetectOptions {
  /** Only triggers in [from, to) are judged; text outside is context. */
  from?: number;
  to?: number;
  /** False while more text may follow: verdicts that could change with it are left open. */
  atEnd?: boolean;
  /**
   * The caller built `text` itself by decoding or joining, so it is already a flat string: skips
   * the copy that keeps the detector's string reads monomorphic (see sequential).
   */
  flat?: boolean;
}

export interface DetectResult {
  /** Matches in no particular order; only those with trigger < resolvedUntil are final. */
  matches: SecretMatch[];
  /** Every trigger before this position is decided. Equals the text length when atEnd. */
  resolvedUntil: number;
  /** Text length at which the blocking trigger can be decided (an arriving PEM END can decide earlier). */
  resumeAt: number;
  blockedByPem: boolean;
}

const ANCHORS = buildAnchors();

const ALL_TRIGGERS: readonly Trigger[] = [
  PEM_TRIGGER,
  ...SHAPE_RULES.flatMap((r) => r.triggers),
  ...ASSIGNMENT_TRIGGERS,
];

/** Longest text a trigger needs before it can be recognised (`xoxe.xoxb-`): a shorter tail may still grow into one. */
export const MAX_TRIGGER_LENGTH = Math.max(
  ...ALL_TRIGGERS.flatMap((t) => [t.offset + t.literal.length, ...t.leads.map((lead) => lead.length)]),
);

/** How far past a trigger its anchor can end: hits beyond limit + this cannot start a trigger before limit. */
const ANCHOR_REACH = Math.max(...ANCHORS.map((a) => a.maxOffset + a.literal.length));

/** Most characters any verdict except a PEM block reads after its trigger. */
export const MAX_SPAN = Math.max(ASSIGNMENT_MAX_SPAN, PEM_HEADER_MAX, ...SHAPE_RULES.map((r) => r.maxSpan));

/** The two characters at p start some lead of `starts`: flat-table reads instead of a probe call. */
function startsAt(text: string, starts: Uint8Array, p: number): boolean {
  if (p + 1 >= text.length) return false;
  const first = text.charCodeAt(p);
  const second = text.charCodeAt(p + 1);
  return first < ASCII && second < ASCII && starts[first * ASCII + second] === 1;
}

/** Length of the lead found at p, 0 if none. */
function leadAt(text: string, p: number, leads: readonly string[]): number {
  for (const lead of leads) if (text.startsWith(lead, p)) return lead.length;
  return 0;
}

/**
 * Texts up to this long are copied before they are judged (see sequential): every window a scan
 * judges, paths, previews and the redactor's re-judged slices. Longer texts come from decoding or
 * joining, already flat, and copying them would cost a large-object allocation each.
 */
const COPY_MAX = 64 * 1024;

/**
 * `text` as a sequential string. V8 gives cons (`a + b`), sliced (`s.slice(…)`) and thin strings
 * hidden classes of their own; once the detector's string reads have seen more than a few of them
 * they go megamorphic, and a whole scan ran 20-30% slower once a few paths and previews had been
 * judged. Joining two non-empty parts always allocates a fresh flat string.
 */
function sequential(text: string): string {
  return text.length < 2 || text.length > COPY_MAX ? text : [text.slice(0, 1), text.slice(1)].join("");
}

/** Judge every trigger in [from, to). Synchronous and non-reentrant (the sticky patterns are shared). */
export function detectSecrets(text: string, options: DetectOptions = {}): DetectResult {
  return detectIn(options.flat === true ? text : sequential(text), options);
}

/** What the hit loops of one detectSecrets call share. `limit` drops to a trigger left undecided. */
interface Run {
  text: string;
  from: number;
  limit: number;
  atEnd: boolean;
  matches: SecretMatch[];
  blocker: Unresolved | undefined;
}

/**
 * The call in progress (detection is synchronous and non-reentrant): one long-lived object. A fresh
 * object per call has a map that can die between calls, and V8 then throws away the optimized hit
 * loops that embed it — a dozen times per benchmark run, each followed by slow unoptimized hits.
 */
const RUN: Run = { text: "", from: 0, limit: 0, atEnd: true, matches: [], blocker: undefined };

/** Judge the trigger at p; false once it is left undecided (every later trigger then waits for it). */
function judge(run: Run, evaluate: Evaluator, p: number, lead: number): boolean {
  const verdict = evaluate(run.text, p, run.atEnd, lead);
  if (verdict === null) return true;
  if (isUnresolved(verdict)) {
    run.limit = p;
    run.blocker = verdict;
    return false;
  }
  run.matches.push(verdict);
  return true;
}

/** Judge the triggers that are the anchor itself. */
function judgeAll(run: Run, direct: readonly Evaluator[], hit: number): boolean {
  for (let i = 0; i < direct.length; i++) if (!judge(run, direct[i] as Evaluator, hit, 0)) return false;
  return true;
}

/** Judge every candidate of `table` whose lead is at p. */
function probe(run: Run, table: Table, p: number): boolean {
  const text = run.text;
  const first = text.charCodeAt(p);
  const row = first < ASCII ? table[first] : undefined;
  if (row === undefined) return true;
  const second = text.charCodeAt(p + 1);
  const list = second < ASCII ? row[second] : undefined;
  if (list === undefined) return true;
  for (const { leads, evaluate } of list) {
    const lead = leadAt(text, p, leads);
    if (lead > 0 && !judge(run, evaluate, p, lead)) return false;
  }
  return true;
}

/**
 * The word trigger a hit of `anchor` at `hit` can start, judged. `c1` is the character before the
 * hit, already found in `before`. The alphanumeric run ending at the anchor decides where: a word
 * trigger can only start where that run starts.
 */
function wordAt(run: Run, anchor: Anchor, hit: number, c1: number): boolean {
  const text = run.text;
  const { words } = anchor;
  const maxWord = words.length - 1;
  const c2 = hit > 1 ? text.charCodeAt(hit - 2) : 0;
  if (ALNUM[c2] === 1 && ALNUM[c1] === 1 && anchor.pairs[c2 * ASCII + c1] !== 1) return true;
  let p = hit;
  const stop = Math.max(0, hit - maxWord - 1);
  while (p > stop && ALNUM[text.charCodeAt(p - 1)] === 1) p--;
  const table = hit - p <= maxWord ? words[hit - p] : undefined;
  return (
    table === undefined ||
    p < run.from ||
    p >= run.limit ||
    !startsAt(text, anchor.wordStarts, p) ||
    probe(run, table, p)
  );
}

/** Hits of an anchor with word triggers only (`_`, `.`, `A`, `J`, `K`): most end on one table read. */
function wordHits(run: Run, search: string, anchor: Anchor): void {
  const { literal, maxOffset, before } = anchor;
  const text = run.text;
  for (let hit = search.indexOf(literal, run.from); hit !== -1; hit = search.indexOf(literal, hit + 1)) {
    if (hit - maxOffset >= run.limit) return;
    // 0, not NaN, before the text starts: a NaN index makes every table read a slow generic load.
    const c1 = hit > 0 ? text.charCodeAt(hit - 1) : 0;
    if (before[c1] === 1 && !wordAt(run, anchor, hit, c1)) return;
  }
}

/** Hits of an assignment operator (`=`, `:`), and of fixed-offset triggers (`://`). */
function operatorHits(run: Run, search: string, anchor: Anchor): void {
  const { literal, maxOffset, direct, fixed } = anchor;
  const text = run.text;
  for (let hit = search.indexOf(literal, run.from); hit !== -1; hit = search.indexOf(literal, hit + 1)) {
    if (hit - maxOffset >= run.limit) return;
    if (hit < run.limit && mayBeKeyOperator(text, hit) && !judgeAll(run, direct, hit)) return;
    for (let f = 0; f < fixed.length; f++) {
      const { offset, table, starts } = fixed[f] as (typeof fixed)[number];
      const p = hit - offset;
      if (p >= run.from && p < run.limit && startsAt(text, starts, p) && !probe(run, table, p)) return;
    }
  }
}

/**
 * The operator at `hit` may follow a secret-like key: the character before it, or before the blank
 * of `key = value`, and the key's last three letters reject most operators of code before the call.
 */
function mayBeKeyOperator(text: string, hit: number): boolean {
  const c1 = hit > 0 ? text.charCodeAt(hit - 1) : 0;
  const k = c1 === 0x20 && hit > 1 ? hit - 2 : hit - 1;
  const c = k === hit - 1 ? c1 : text.charCodeAt(k);
  return BEFORE_OPERATOR[c] === 1 && mayEndKeyAt(text, k, c) && mayFollowKey(text, hit);
}

/** Hits of any other anchor: direct triggers (`dapi`), word triggers and fixed-offset ones (`-----BEGIN`). */
function anyHits(run: Run, search: string, anchor: Anchor): void {
  const { literal, maxOffset, direct, words, before, fixed } = anchor;
  const text = run.text;
  for (let hit = search.indexOf(literal, run.from); hit !== -1; hit = search.indexOf(literal, hit + 1)) {
    if (hit - maxOffset >= run.limit) return;
    if (
      direct.length > 0 &&
      hit < run.limit &&
      (!anchor.operator || mayBeKeyOperator(text, hit)) &&
      !judgeAll(run, direct, hit)
    ) {
      return;
    }
    const c1 = hit > 0 ? text.charCodeAt(hit - 1) : 0;
    if (words.length > 0 && before[c1] === 1 && !wordAt(run, anchor, hit, c1)) return;
    for (let f = 0; f < fixed.length; f++) {
      const { offset, table, starts } = fixed[f] as (typeof fixed)[number];
      const p = hit - offset;
      if (p >= run.from && p < run.limit && startsAt(text, starts, p) && !probe(run, table, p)) return;
    }
  }
}

function detectIn(text: string, options: DetectOptions): DetectResult {
  const from = options.from ?? 0;
  const atEnd = options.atEnd ?? true;
  // While more text may follow, the last few characters could still become a trigger.
  const tail = atEnd ? text.length : Math.max(from, text.length - (MAX_TRIGGER_LENGTH - 1));
  const run = RUN;
  run.text = text;
  run.from = from;
  run.limit = Math.min(options.to ?? text.length, tail);
  run.atEnd = atEnd;
  run.matches = [];
  run.blocker = undefined;
  // Anchors are searched only up to where a hit can still start a trigger before limit: a rare
  // anchor's indexOf would otherwise run through the whole lookahead a streamed window carries.
  const searchEnd = run.limit + ANCHOR_REACH;
  const search = searchEnd < text.length ? text.slice(0, searchEnd) : text;
  for (let a = 0; a < ANCHORS.length; a++) {
    const anchor = ANCHORS[a] as Anchor;
    if (anchor.operator && anchor.words.length === 0) operatorHits(run, search, anchor);
    else if (anchor.direct.length === 0 && anchor.fixed.length === 0) wordHits(run, search, anchor);
    else anyHits(run, search, anchor);
  }
  const { matches } = run;
  const blocker = run.blocker as Unresolved | undefined;
  run.text = "";
  run.matches = [];
  run.blocker = undefined;
  return {
    matches,
    resolvedUntil: blocker === undefined ? tail : run.limit,
    resumeAt: blocker?.resumeAt ?? text.length + 1,
    blockedByPem: blocker?.pem ?? false,
  };
}

/**
 * The first value-shape rule (a token kind, a PEM key, URL credentials, a Bearer token) that matches
 * anywhere in `text`, or undefined. Assignments do not count: `a=b` inside a value is not a secret
 * by shape (and PATH-like values are full of `:`).
 */
export function secretShapeIn(text: string): string | undefined {
  return detectSecrets(text).matches.find((m) => m.rule !== ASSIGNMENT_RULE_ID)?.rule;
}

/** Sorted, merged [start, end) ranges; touching ranges merge so each merged range becomes one placeholder. */
export function mergeRanges(ranges: readonly (readonly [number, number])[]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const [start, end] of sorted) {
    if (end <= start) continue;
    const last = merged[merged.length - 1];
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}
