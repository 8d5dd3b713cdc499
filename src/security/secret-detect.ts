/**
 * Finds secrets in text. Each rule's anchors (rare literals, and `=`/`:` for assignments) are found
 * with native indexOf, confirmed with startsWith on the rule's leads, then judged by the rule at the
 * trigger position. A verdict depends only on the text from CONTEXT_CHARS before its trigger to
 * `maxSpan` after it, never on other verdicts, so a stream can be judged piecewise with exactly the
 * whole-text result.
 */

import { parseAssignmentAt } from "./secret-assign.js";
import {
  type Anchor,
  ASSIGNMENT_ANCHORS,
  ASSIGNMENT_RULE_ID,
  PEM_ANCHOR,
  PEM_CAP,
  PEM_FOOTER,
  PEM_HEADER,
  PEM_HEADER_MAX,
  PEM_LEAD,
  PEM_RULE_ID,
  SHAPE_RULES,
  type ShapeRule,
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
  /** Assignments only. */
  readonly keyStart?: number;
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
type Evaluator = (text: string, p: number, atEnd: boolean) => Verdict;

function isUnresolved(v: Verdict): v is Unresolved {
  return v !== null && "resumeAt" in v;
}

function shapeEvaluator(rule: ShapeRule): Evaluator {
  return (text, p, atEnd) => {
    if (!atEnd && text.length < p + rule.maxSpan) return { resumeAt: p + rule.maxSpan, pem: false };
    rule.pattern.lastIndex = p;
    const m = rule.pattern.exec(text);
    if (m === null) return null;
    const group = m.indices?.[1];
    const [start, end] = group ?? [p, p + m[0].length];
    const secret = group === undefined ? m[0] : (m[1] ?? "");
    if (rule.accept !== undefined && !rule.accept(secret)) return null;
    return { rule: rule.id, trigger: p, start, end, prefix: start === p ? rule.prefix : 0 };
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
  if (!atEnd && text.length < p + ASSIGNMENT_MAX_SPAN)
    return { resumeAt: p + ASSIGNMENT_MAX_SPAN, pem: false };
  const value = parseAssignmentAt(text, p);
  if (value === undefined) return null;
  const { start, end, keyStart, quoted } = value;
  return { rule: ASSIGNMENT_RULE_ID, trigger: p, start, end, prefix: 0, keyStart, quoted };
};

interface Candidate {
  readonly offset: number;
  readonly leads: readonly string[];
  /** First characters of the leads (at most two distinct): a one-read probe before startsWith. */
  readonly first: number;
  readonly otherFirst: number;
  /** The anchor is the whole lead (`=`, `:`): nothing to confirm. */
  readonly leadIsAnchor: boolean;
  readonly evaluate: Evaluator;
}

function buildAnchors(): Map<string, Candidate[]> {
  const map = new Map<string, Candidate[]>();
  const add = (anchor: Anchor, leads: readonly string[], evaluate: Evaluator): void => {
    const firsts = [...new Set(leads.map((lead) => lead.charCodeAt(0)))];
    if (firsts.length > 2)
      throw new Error(`rule leads start with more than two characters: ${leads.join(" ")}`);
    const first = firsts[0] ?? -1;
    const otherFirst = firsts[1] ?? first;
    const leadIsAnchor = anchor.offset === 0 && leads.length === 1 && leads[0] === anchor.literal;
    const candidate = { offset: anchor.offset, leads, first, otherFirst, leadIsAnchor, evaluate };
    const list = map.get(anchor.literal);
    if (list === undefined) map.set(anchor.literal, [candidate]);
    else list.push(candidate);
  };
  add(PEM_ANCHOR, [PEM_LEAD], evaluatePem);
  for (const rule of SHAPE_RULES) {
    const evaluate = shapeEvaluator(rule);
    for (const anchor of rule.anchors) add(anchor, rule.leads, evaluate);
  }
  for (const anchor of ASSIGNMENT_ANCHORS) add(anchor, [anchor.literal], evaluateAssignment);
  return map;
}

const ANCHORS = buildAnchors();

/** Longest text a trigger needs before it can be recognised (`github_pat_`): a shorter tail may still grow into one. */
export const MAX_TRIGGER_LENGTH = Math.max(
  ...[...ANCHORS].flatMap(([literal, candidates]) =>
    candidates.flatMap((c) => [c.offset + literal.length, ...c.leads.map((lead) => lead.length)]),
  ),
);

/** Most characters any verdict except a PEM block reads after its trigger. */
export const MAX_SPAN = Math.max(ASSIGNMENT_MAX_SPAN, PEM_HEADER_MAX, ...SHAPE_RULES.map((r) => r.maxSpan));

function startsWithAny(text: string, p: number, leads: readonly string[]): boolean {
  for (const lead of leads) if (text.startsWith(lead, p)) return true;
  return false;
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

  for (const [literal, candidates] of ANCHORS) {
    // The candidate reaching furthest back decides when later hits can no longer start a trigger < limit.
    let maxOffset = 0;
    for (const c of candidates) maxOffset = Math.max(maxOffset, c.offset);
    scan: for (let hit = text.indexOf(literal, from); hit !== -1; hit = text.indexOf(literal, hit + 1)) {
      if (hit - maxOffset >= limit) break;
      for (const candidate of candidates) {
        const p = hit - candidate.offset;
        if (p < from || p >= limit) continue;
        if (!candidate.leadIsAnchor) {
          const c = text.charCodeAt(p);
          if (c !== candidate.first && c !== candidate.otherFirst) continue;
          if (!startsWithAny(text, p, candidate.leads)) continue;
        }
        const verdict = candidate.evaluate(text, p, atEnd);
        if (verdict === null) continue;
        if (isUnresolved(verdict)) {
          // Later triggers cannot be emitted before this one is decided: stop everyone at p.
          limit = p;
          blocker = verdict;
          break scan;
        }
        matches.push(verdict);
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
