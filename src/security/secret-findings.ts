/**
 * Turns detector matches into reportable findings with a redacted one-line preview. The redactor
 * removes everything the rules match; a finding is stricter for assignments and URL credentials,
 * because a finding can block a run and `password: string`, `token = getToken()` or
 * `postgres://user:password@localhost` are code and docs, not leaked secrets.
 */

import { redactText } from "./redact.js";
import { detectSecrets, mergeRanges, type SecretMatch } from "./secret-detect.js";
import { ASSIGNMENT_RULE_ID, REDACTED, RULE_PRIORITY } from "./secret-rules.js";

export interface TextFinding {
  /** 1-based line of the first character of the secret. */
  line: number;
  rule: string;
  /** The line with every secret replaced (public markers such as `AKIA` kept), at most ~160 characters. */
  preview: string;
}

const PREVIEW_MAX = 160;
const PREVIEW_LEAD = 40;
const PLACEHOLDER_WORD = /example|changeme|change[-_]?me|placeholder|dummy|redacted|your[-_]|xxxx|\*\*\*/i;
const REFERENCE = /^[$%@<#]|\$\{|\{\{|%\(/;
const MEMBER_EXPRESSION = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;

/** A literal that looks like a real credential rather than a placeholder, reference or word. */
function isLikelyLiteralSecret(value: string, quoted: boolean): boolean {
  if (value.length < 8 || /\s/.test(value)) return false;
  if (REFERENCE.test(value) || PLACEHOLDER_WORD.test(value) || /^(.)\1*$/.test(value)) return false;
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

function isReportable(text: string, m: SecretMatch): boolean {
  const value = text.slice(m.start, m.end);
  if (m.rule === ASSIGNMENT_RULE_ID) {
    const quoted = m.quoted === true;
    return isLikelyLiteralSecret(value, quoted) && (quoted || keyStartsLine(text, m.keyStart ?? m.start));
  }
  if (m.rule === "url-credentials") {
    const user = text.slice(m.trigger + 3, m.start - 1);
    return value !== user && isLikelyLiteralSecret(value, true);
  }
  return true;
}

function priority(rule: string): number {
  const i = RULE_PRIORITY.indexOf(rule);
  return i === -1 ? RULE_PRIORITY.length : i;
}

function sanitizeLine(line: string): string {
  return line.replace(/\t/g, " ").replace(/[\x00-\x1f\x7f]/g, "?");
}

function buildPreview(text: string, at: number, matches: readonly SecretMatch[]): string {
  const lineStart = text.lastIndexOf("\n", at - 1) + 1;
  const nl = text.indexOf("\n", at);
  const lineEnd = nl === -1 ? text.length : nl;
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
  return `${from > 0 ? "…" : ""}${window}${from + PREVIEW_MAX < safe.length ? "…" : ""}`;
}

/** Secrets in one text, one finding per run of overlapping matches, named by the most specific rule. */
export function findSecretsInText(text: string): TextFinding[] {
  const { matches } = detectSecrets(text);
  const reportable = matches.filter((m) => isReportable(text, m)).sort((a, b) => a.start - b.start);
  const findings: TextFinding[] = [];
  let line = 1;
  let counted = 0;
  let groupEnd = -1;
  for (const m of reportable) {
    const last = findings[findings.length - 1];
    if (last !== undefined && m.start < groupEnd) {
      if (priority(m.rule) < priority(last.rule)) last.rule = m.rule;
      groupEnd = Math.max(groupEnd, m.end);
      continue;
    }
    for (let i = text.indexOf("\n", counted); i !== -1 && i < m.start; i = text.indexOf("\n", i + 1)) {
      line++;
      counted = i + 1;
    }
    findings.push({ line, rule: m.rule, preview: buildPreview(text, m.start, matches) });
    groupEnd = m.end;
  }
  return findings;
}
