/**
 * Finds secrets in text. Each rule's anchors (rare literals, and `=`/`:` for assignments) are found
 * with native indexOf, confirmed with startsWith on the rule's leads, then judged by the rule at the
 * trigger position. A verdict depends only on the text from CONTEXT_CHARS before its trigger to
 * `maxSpan` after it, never on other verdicts, so a stream can be judged piecewise with exactly the
 * whole-text result.
 */

import { mayBeAssignmentAt, mayFollowKey, parseAssignmentAt } from "./secret-assign.js";
import {
  ASSIGNMENT_RULE_ID,
  ASSIGNMENT_TRIGGERS,
  PEM_CAP,
  PEM_FOOTER,
  PEM_HEADER,
  PEM_HEADER_MAX,
  PEM_RULE_ID,
  PEM_TRIGGER,
  SHAPE_RULES,
  type ShapeRule,
  type Trigger,
} from "./secret-rules.js";

export interface SecretMatch {
  readonly rule: string;
  /** Where the trigger that produced this match starts (a lead, or an assignment operator). */
  readonly trigger: number;
  /** The secret: [start, end). */
  readonly start: number;
  readonly end: number;
  /** Leading characters of the secret that are a public marker (`AKIA`), safe in previews. */
  readonly prefix: number;
  /** Assignments only: where the key starts and ends. */
  readonly keyStart?: number;
  readonly keyEnd?: number;
  readonly quoted?: boolean;
}

export interface DetectOptions {
  /** Only triggers in [from, to) are judged; text outside is context. */
  from?: number;
  to?: number;
  /** False while more text may follow: verdicts that could change with it are left open. */
  atEnd?: boolean;
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

/** Characters before a trigger that a verdict may read (assignment keys, URL schemes, lookbehinds). */
export const CONTEXT_CHARS = 128;
const PEM_FOOTER_MAX = 8 + 40 + 11 + 6 + 5;
/** Bounds everything parseAssignmentAt reads after the operator (blanks, quotes, a 1 KiB value). */
const ASSIGNMENT_MAX_SPAN = 1200;

interface Unresolved {
  readonly resumeAt: number;
  readonly pem: boolean;
}
type Verdict = SecretMatch | null | Unresolved;
/** `lead` is the length of the lead found at p (0 for triggers that are their own anchor). */
type Evaluator = (text: string, p: number, atEnd: boolean, lead: number) => Verdict;

function isUnresolved(v: Verdict): v is Unresolved {
  return v !== null && "resumeAt" in v;
}

function shapeEvaluator(rule: ShapeRule): Evaluator {
  return (text, p, atEnd, lead) => {
    if (!atEnd && text.length < p + rule.maxSpan) return { resumeAt: p + rule.maxSpan, pem: false };
    rule.pattern.lastIndex = p;
    const m = rule.pattern.exec(text);
    if (m === null) return null;
    const group = m.indices?.[1];
    const [start, end] = group ?? [p, p + m[0].length];
    const secret = group === undefined ? m[0] : (m[1] ?? "");
    if (rule.accept !== undefined && !rule.accept(secret)) return null;
    return { rule: rule.id, trigger: p, start, end, prefix: start === p ? (rule.prefix ?? lead) : 0 };
  };
}

const evaluatePem: Evaluator = (text, p, atEnd) => {
  PEM_HEADER.lastIndex = p;
  const header = PEM_HEADER.exec(text);
  if (header === null) {
    return !atEnd && text.length < p + PEM_HEADER_MAX ? { resumeAt: p + PEM_HEADER_MAX, pem: false } : null;
  }
  const limit = p + PEM_CAP;
  const match = (end: number): SecretMatch => ({ rule: PEM_RULE_ID, trigger: p, start: p, end, prefix: 0 });
  for (let i = text.indexOf("-----END", p + header[0].length); i !== -1 && i < limit; ) {
    // A footer cut off by the end of the text: decidable as soon as the rest of it arrives.
    if (!atEnd && text.length < i + PEM_FOOTER_MAX) return { resumeAt: i + PEM_FOOTER_MAX, pem: false };
    PEM_FOOTER.lastIndex = i;
    const footer = PEM_FOOTER.exec(text);
    if (footer !== null) {
      const end = i + footer[0].length;
      if (end <= limit) return match(end);
      break;
    }
    i = text.indexOf("-----END", i + 1);
  }
  if (text.length >= limit) return match(limit);
  return atEnd ? match(text.length) : { resumeAt: limit + PEM_FOOTER_MAX, pem: true };
};

const evaluateAssignment: Evaluator = (text, p, atEnd) => {
  // Decided by the text before the operator, which is all here: most `=` and `:` end right away.
  if (!mayBeAssignmentAt(text, p)) return null;
  if (!atEnd && text.length < p + ASSIGNMENT_MAX_SPAN)
    return { resumeAt: p + ASSIGNMENT_MAX_SPAN, pem: false };
  const value = parseAssignmentAt(text, p);
  if (value === undefined) return null;
  const { start, end, keyStart, keyEnd, quoted } = value;
  return { rule: ASSIGNMENT_RULE_ID, trigger: p, start, end, prefix: 0, keyStart, keyEnd, quoted };
};

interface Candidate {
  readonly leads: readonly string[];
  readonly evaluate: Evaluator;
}

/** Candidates by the trigger's first two characters (ASCII). */
type Table = ((Candidate[] | undefined)[] | undefined)[];

interface Anchor {
  readonly literal: string;
  /** The trigger reaching furthest back decides when later hits can no longer start one < limit. */
  readonly maxOffset: number;
  /** Triggers that are the anchor itself (`=`, `:`, `dapi`): nothing to confirm. */
  readonly direct: readonly Evaluator[];
  /**
   * The direct triggers are assignment operators: judged only when the character before them (past
   * blanks) may end a secret-like key, its quote or a `]` — one read instead of a call for most of
   * the `=` and `:` of code.
   */
  readonly operator: boolean;
  /**
   * Word triggers, by offset: the lead before the anchor is alphanumeric and the pattern starts at a
   * word boundary, so the trigger can only start where the alphanumeric run before the anchor does —
   * one backward walk finds the single offset worth probing.
   */
  readonly words: readonly (Table | undefined)[];
  /**
   * 1 for each character that can sit right before the anchor in a word lead (`p` of `ghp_`), or
   * that is not alphanumeric (a lead that starts at the anchor): any other character rules out
   * every word trigger of this anchor with one read, before the backward walk.
   */
  readonly before: Uint8Array;
  /**
   * 1 at `a * ASCII + b` for the two characters before the anchor in a word lead that has two or
   * more (`hp` of `ghp_`): when both characters before a hit are alphanumeric, the run before it is
   * at least two long, so it must end in one of these pairs.
   */
  readonly pairs: Uint8Array;
  /** Other triggers (`-----BEGIN`, `://`), probed at their fixed offset. */
  readonly fixed: readonly { readonly offset: number; readonly table: Table }[];
}

const ASCII = 128;
const WORD_BOUNDARY = "(?<![A-Za-z0-9])";

/** 1 for ASCII letters and digits, indexed by UTF-16 code unit (a table read beats three range tests). */
const ALNUM = new Uint8Array(65536);
for (let c = 0; c < ASCII; c++) {
  ALNUM[c] = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ? 1 : 0;
}

function getOrAdd<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  const found = map.get(key);
  if (found !== undefined) return found;
  const made = make();
  map.set(key, made);
  return made;
}

/** Candidates keyed by `first * ASCII + second` while building; flattened into a Table afterwards. */
type Building = Map<number, Candidate[]>;

function addLead(building: Building, lead: string, evaluate: Evaluator): void {
  const list = getOrAdd(building, lead.charCodeAt(0) * ASCII + lead.charCodeAt(1), () => []);
  const same = list.findIndex((c) => c.evaluate === evaluate);
  if (same === -1) list.push({ leads: [lead], evaluate });
  else list[same] = { leads: [...(list[same]?.leads ?? []), lead], evaluate };
}

function toTable(building: Building): Table {
  const table: Table = new Array(ASCII).fill(undefined);
  for (const [key, list] of building) {
    const first = Math.floor(key / ASCII);
    const row = table[first] ?? new Array<Candidate[] | undefined>(ASCII).fill(undefined);
    row[key % ASCII] = list;
    table[first] = row;
  }
  return table;
}

function buildAnchors(): Anchor[] {
  interface Entry {
    direct: Evaluator[];
    operator: boolean;
    words: Map<number, Building>;
    fixed: Map<number, Building>;
  }
  const byLiteral = new Map<string, Entry>();
  const add = (trigger: Trigger, evaluate: Evaluator, bounded: boolean): void => {
    const { literal, offset, leads } = trigger;
    const entry = getOrAdd(byLiteral, literal, () => ({
      direct: [],
      operator: false,
      words: new Map(),
      fixed: new Map(),
    }));
    if (offset === 0 && leads.length === 1 && leads[0] === literal) {
      entry.direct.push(evaluate);
      entry.operator = entry.direct.every((e) => e === evaluateAssignment);
      return;
    }
    for (const lead of leads) {
      if (!(lead.charCodeAt(0) < ASCII && lead.charCodeAt(1) < ASCII) || !lead.startsWith(literal, offset)) {
        throw new Error(
          `trigger lead ${JSON.stringify(lead)} must be ASCII and hold ${literal} at ${offset}`,
        );
      }
      const word = bounded && /^[A-Za-z0-9]*$/.test(lead.slice(0, offset));
      addLead(
        getOrAdd(word ? entry.words : entry.fixed, offset, () => new Map()),
        lead,
        evaluate,
      );
    }
  };
  add(PEM_TRIGGER, evaluatePem, false);
  for (const rule of SHAPE_RULES) {
    const evaluate = shapeEvaluator(rule);
    const bounded = rule.pattern.source.startsWith(WORD_BOUNDARY);
    for (const trigger of rule.triggers) add(trigger, evaluate, bounded);
  }
  for (const trigger of ASSIGNMENT_TRIGGERS) add(trigger, evaluateAssignment, false);
  // Every anchor starts from the same 64 Ki table: built once and copied (a fill loop per anchor made
  // loading this module cost ~20 ms, on every omk command).
  const notAlnum = new Uint8Array(65536);
  for (let c = 0; c < notAlnum.length; c++) notAlnum[c] = ALNUM[c] === 1 ? 0 : 1;
  return [...byLiteral].map(([literal, { direct, operator, words, fixed }]) => {
    const maxWord = Math.max(-1, ...words.keys());
    const before = notAlnum.slice();
    const pairs = new Uint8Array(ASCII * ASCII);
    for (const [offset, building] of words) {
      for (const list of building.values()) {
        for (const { leads } of list) {
          for (const lead of leads) {
            if (offset > 0) before[lead.charCodeAt(offset - 1)] = 1;
            if (offset > 1) pairs[lead.charCodeAt(offset - 2) * ASCII + lead.charCodeAt(offset - 1)] = 1;
          }
        }
      }
    }
    return {
      literal,
      maxOffset: Math.max(0, maxWord, ...fixed.keys()),
      direct,
      operator,
      before,
      pairs,
      words: Array.from({ length: maxWord + 1 }, (_, i) => {
        const building = words.get(i);
        return building === undefined ? undefined : toTable(building);
      }),
      fixed: [...fixed].map(([offset, building]) => ({ offset, table: toTable(building) })),
    };
  });
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

/** Most characters any verdict except a PEM block reads after its trigger. */
export const MAX_SPAN = Math.max(ASSIGNMENT_MAX_SPAN, PEM_HEADER_MAX, ...SHAPE_RULES.map((r) => r.maxSpan));

/** Length of the lead found at p, 0 if none. */
function leadAt(text: string, p: number, leads: readonly string[]): number {
  for (const lead of leads) if (text.startsWith(lead, p)) return lead.length;
  return 0;
}

/** Judge every trigger in [from, to). Synchronous and non-reentrant (the sticky patterns are shared). */
export function detectSecrets(text: string, options: DetectOptions = {}): DetectResult {
  const from = options.from ?? 0;
  const atEnd = options.atEnd ?? true;
  // While more text may follow, the last few characters could still become a trigger.
  const tail = atEnd ? text.length : Math.max(from, text.length - (MAX_TRIGGER_LENGTH - 1));
  let limit = Math.min(options.to ?? text.length, tail);
  const matches: SecretMatch[] = [];
  let blocker: Unresolved | undefined;

  const judge = (evaluate: Evaluator, p: number, lead: number): boolean => {
    const verdict = evaluate(text, p, atEnd, lead);
    if (verdict === null) return true;
    if (isUnresolved(verdict)) {
      // Later triggers cannot be emitted before this one is decided: stop everyone at p.
      limit = p;
      blocker = verdict;
      return false;
    }
    matches.push(verdict);
    return true;
  };

  const probe = (table: Table, p: number): boolean => {
    const first = text.charCodeAt(p);
    const row = first < ASCII ? table[first] : undefined;
    if (row === undefined) return true;
    const second = text.charCodeAt(p + 1);
    const list = second < ASCII ? row[second] : undefined;
    if (list === undefined) return true;
    for (const { leads, evaluate } of list) {
      const lead = leadAt(text, p, leads);
      if (lead > 0 && !judge(evaluate, p, lead)) return false;
    }
    return true;
  };

  for (const { literal, maxOffset, direct, operator, words, before, pairs, fixed } of ANCHORS) {
    const maxWord = words.length - 1;
    scan: for (let hit = text.indexOf(literal, from); hit !== -1; hit = text.indexOf(literal, hit + 1)) {
      if (hit - maxOffset >= limit) break;
      if (direct.length > 0 && hit < limit && (!operator || mayFollowKey(text, hit))) {
        for (const evaluate of direct) if (!judge(evaluate, hit, 0)) break scan;
      }
      // 0, not NaN, before the text starts: a NaN index makes every table read a slow generic load.
      const c1 = hit > 0 ? text.charCodeAt(hit - 1) : 0;
      const c2 = hit > 1 ? text.charCodeAt(hit - 2) : 0;
      if (
        maxWord >= 0 &&
        before[c1] === 1 &&
        (ALNUM[c2] !== 1 || ALNUM[c1] !== 1 || pairs[c2 * ASCII + c1] === 1)
      ) {
        // The alphanumeric run ending at the anchor: a word trigger can only start where it starts.
        let p = hit;
        const stop = Math.max(0, hit - maxWord - 1);
        while (p > stop && ALNUM[text.charCodeAt(p - 1)] === 1) p--;
        const table = hit - p <= maxWord ? words[hit - p] : undefined;
        if (table !== undefined && p >= from && p < limit && !probe(table, p)) break;
      }
      for (const { offset, table } of fixed) {
        const p = hit - offset;
        if (p >= from && p < limit && !probe(table, p)) break scan;
      }
    }
  }
  return {
    matches,
    resolvedUntil: blocker === undefined ? tail : limit,
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
