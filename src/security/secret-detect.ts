/**
 * Finds secrets in text with one case-insensitive pass over trigger literals (`ghp_`, `AKIA`, `token`,
 * `-----BEGIN`, …); each hit is then judged by the rules that can start there. A verdict depends only
 * on the text from CONTEXT_CHARS before the trigger to `maxSpan` after it, never on earlier verdicts,
 * so a stream can be judged piecewise with exactly the whole-text result.
 */

import { parseAssignment } from "./secret-assign.js";
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
} from "./secret-rules.js";

export interface SecretMatch {
  readonly rule: string;
  /** Where the trigger literal that produced this match starts. */
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
  /** Matches by trigger position; only those with trigger < resolvedUntil are final. */
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

interface Unresolved {
  readonly resumeAt: number;
  readonly pem: boolean;
}
type Verdict = SecretMatch | null | Unresolved;
interface ScanState {
  /** End of the last assignment key run judged; later triggers inside it get the same verdict. */
  keyRunEnd: number;
}
type Evaluator = (text: string, p: number, atEnd: boolean, state: ScanState) => Verdict;

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

/** Bounds everything parseAssignment reads after its trigger (key tail, operator, 1 KiB value). */
const ASSIGNMENT_MAX_SPAN = 1200;

const evaluateAssignment: Evaluator = (text, p, atEnd, state) => {
  if (p < state.keyRunEnd) return null;
  if (!atEnd && text.length < p + ASSIGNMENT_MAX_SPAN)
    return { resumeAt: p + ASSIGNMENT_MAX_SPAN, pem: false };
  const parsed = parseAssignment(text, p);
  state.keyRunEnd = parsed.keyRunEnd;
  if (parsed.value === undefined) return null;
  const { start, end, keyStart, quoted } = parsed.value;
  return { rule: ASSIGNMENT_RULE_ID, trigger: p, start, end, prefix: 0, keyStart, quoted };
};

function buildTriggers(): Map<string, Evaluator[]> {
  const map = new Map<string, Evaluator[]>();
  const add = (literal: string, evaluator: Evaluator): void => {
    const list = map.get(literal);
    if (list === undefined) map.set(literal, [evaluator]);
    else list.push(evaluator);
  };
  add(PEM_TRIGGER, evaluatePem);
  for (const rule of SHAPE_RULES) {
    const evaluator = shapeEvaluator(rule);
    for (const literal of rule.triggers) add(literal, evaluator);
  }
  for (const literal of ASSIGNMENT_TRIGGERS) add(literal, evaluateAssignment);
  return map;
}

const TRIGGERS = buildTriggers();
/** Most characters any verdict except a PEM block reads after its trigger. */
export const MAX_SPAN = Math.max(ASSIGNMENT_MAX_SPAN, PEM_HEADER_MAX, ...SHAPE_RULES.map((r) => r.maxSpan));

/** Longest trigger literal: a tail shorter than this may still grow into one. */
export const MAX_TRIGGER_LENGTH = Math.max(...[...TRIGGERS.keys()].map((t) => t.length));

const TRIGGER_PATTERN = new RegExp(
  [...TRIGGERS.keys()]
    .sort((a, b) => b.length - a.length)
    .map((t) => t.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&"))
    .join("|"),
  "gi",
);

/** Judge every trigger in [from, to). Synchronous and non-reentrant (shares the sticky patterns). */
export function detectSecrets(text: string, options: DetectOptions = {}): DetectResult {
  const from = options.from ?? 0;
  const to = options.to ?? text.length;
  const atEnd = options.atEnd ?? true;
  const matches: SecretMatch[] = [];
  const state: ScanState = { keyRunEnd: -1 };
  TRIGGER_PATTERN.lastIndex = from;
  for (;;) {
    const hit = TRIGGER_PATTERN.exec(text);
    if (hit === null || hit.index >= to) break;
    const p = hit.index;
    for (const evaluate of TRIGGERS.get(hit[0].toLowerCase()) ?? []) {
      const verdict = evaluate(text, p, atEnd, state);
      if (verdict === null) continue;
      if (isUnresolved(verdict)) {
        return { matches, resolvedUntil: p, resumeAt: verdict.resumeAt, blockedByPem: verdict.pem };
      }
      matches.push(verdict);
    }
    // Overlapping triggers (`github_pat_…` inside a key) are each judged: restart one past this one.
    TRIGGER_PATTERN.lastIndex = p + 1;
  }
  if (atEnd) return { matches, resolvedUntil: text.length, resumeAt: text.length, blockedByPem: false };
  const tail = Math.max(from, text.length - (MAX_TRIGGER_LENGTH - 1));
  return { matches, resolvedUntil: tail, resumeAt: text.length + 1, blockedByPem: false };
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
