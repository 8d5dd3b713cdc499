/**
 * The detector's tables and verdicts: for each anchor literal, which rules to judge where it is
 * found (by offset and the trigger's first two characters), and the evaluators that judge a trigger
 * — a shape rule's sticky pattern, a PEM block, an assignment. secret-detect.ts walks the anchors.
 */

import { mayBeAssignmentAt, parseAssignmentAt } from "./secret-assign.js";
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

/** Characters before a trigger that a verdict may read (assignment keys, URL schemes, lookbehinds). */
export const CONTEXT_CHARS = 128;
const PEM_FOOTER_MAX = 8 + 40 + 11 + 6 + 5;
/** Bounds everything parseAssignmentAt reads after the operator (blanks, quotes, a 1 KiB value). */
export const ASSIGNMENT_MAX_SPAN = 1200;

export interface Unresolved {
  readonly resumeAt: number;
  readonly pem: boolean;
}
type Verdict = SecretMatch | null | Unresolved;
/** `lead` is the length of the lead found at p (0 for triggers that are their own anchor). */
export type Evaluator = (text: string, p: number, atEnd: boolean, lead: number) => Verdict;

export function isUnresolved(v: Verdict): v is Unresolved {
  return v !== null && "resumeAt" in v;
}

function shapeEvaluator(rule: ShapeRule): Evaluator {
  return (text, p, atEnd, lead) => {
    if (!atEnd && text.length < p + rule.maxSpan) return { resumeAt: p + rule.maxSpan, pem: false };
    if (rule.mayMatchAt !== undefined && !rule.mayMatchAt(text, p)) return null;
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

export interface Candidate {
  readonly leads: readonly string[];
  readonly evaluate: Evaluator;
}

/** Candidates by the trigger's first two characters (ASCII). */
export type Table = ((Candidate[] | undefined)[] | undefined)[];

export interface Anchor {
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
   * 1 for each character that can sit right before the anchor in a word lead (`p` of `ghp_`), and
   * when a word lead starts at the anchor (`_auth`), for each that is not alphanumeric: any other
   * character rules out every word trigger of this anchor with one read, before the backward walk
   * (`).` and `".` end most of the `.` hits in code, and no `.` lead starts at the anchor).
   */
  readonly before: Uint8Array;
  /**
   * 1 at `a * ASCII + b` for the two characters before the anchor in a word lead that has two or
   * more (`hp` of `ghp_`): when both characters before a hit are alphanumeric, the run before it is
   * at least two long, so it must end in one of these pairs.
   */
  readonly pairs: Uint8Array;
  /**
   * 1 at `a * ASCII + b` for the first two characters of every word lead: the probe at the start of
   * the run is called only when one of them is there (most runs ending at `_` are `foo_`, not `ghp_`).
   */
  readonly wordStarts: Uint8Array;
  /** Other triggers (`-----BEGIN`, `://`), probed at their fixed offset; `starts` as wordStarts. */
  readonly fixed: readonly { readonly offset: number; readonly table: Table; readonly starts: Uint8Array }[];
}

export const ASCII = 128;
const WORD_BOUNDARY = "(?<![A-Za-z0-9])";

/** 1 for ASCII letters and digits, indexed by UTF-16 code unit (a table read beats three range tests). */
export const ALNUM = new Uint8Array(65536);
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

/** 1 at `first * ASCII + second` of every lead in `buildings`. */
function startsOf(buildings: Iterable<Building>): Uint8Array {
  const starts = new Uint8Array(ASCII * ASCII);
  for (const building of buildings) for (const key of building.keys()) starts[key] = 1;
  return starts;
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

export function buildAnchors(): Anchor[] {
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
    const before = words.has(0) ? notAlnum.slice() : new Uint8Array(notAlnum.length);
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
      wordStarts: startsOf(words.values()),
      fixed: [...fixed].map(([offset, building]) => ({
        offset,
        table: toTable(building),
        starts: startsOf([building]),
      })),
    };
  });
}
