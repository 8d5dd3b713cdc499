import { parseJest, parseNodeSpec, parseTap, parseVitest } from "./test-failures-js.js";
import { parseCargo, parseGo, parsePytest } from "./test-failures-native.js";
import { capFailure, type TestFailure, type TestParser } from "./test-failures-text.js";

export type { TestFailure } from "./test-failures-text.js";

/**
 * Failing tests out of a gate's output, for the agent's feedback: which tests failed and what their
 * assertions said, ahead of the raw tail. Pure: the same text gives the same answer, so feedback
 * rebuilt from the ledger after a resume is the same feedback.
 */

export type TestOutputFormat = "cargo" | "go" | "pytest" | "jest" | "vitest" | "node-spec" | "tap";

export interface TestFailureReport {
  format: TestOutputFormat;
  /** The first MAX_FAILURES failures, each cut to a fixed size. */
  failures: TestFailure[];
  /** How many the output named. */
  total: number;
}

export const MAX_FAILURES = 20;

/**
 * Most specific first: a format's markers are unlikely in another's output (`---- x stdout ----`,
 * `--- FAIL:`, `____ x ____`, `  ● `, ` FAIL  a > b`, `✖`, and TAP's `not ok` last, since the others
 * may print a test named "not ok").
 */
const PARSERS: readonly (readonly [TestOutputFormat, TestParser])[] = [
  ["cargo", parseCargo],
  ["go", parseGo],
  ["pytest", parsePytest],
  ["jest", parseJest],
  ["vitest", parseVitest],
  ["node-spec", parseNodeSpec],
  ["tap", parseTap],
];

// CSI (colours, cursor moves), OSC (titles, hyperlinks), charset designations, the two-byte escapes.
const ANSI =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[()*+][\x20-\x7e]|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/**
 * Terminal output as text: escapes gone, CRLF as LF, a line rewritten with `\r` (progress bars) as
 * its last state, other control characters dropped.
 */
export function plainText(text: string): string {
  return text
    .replace(ANSI, "")
    .replace(/\r+\n/g, "\n")
    .split("\n")
    .map((line) => (line.includes("\r") ? (line.split("\r").at(-1) ?? "") : line).replace(CONTROL, ""))
    .join("\n");
}

/** What ends a path in a line of output. */
const DELIM = "\\s'\"`()<>\\[\\]{},;:|";
const SEGMENT = `/[^/${DELIM}*?]+`;
const PATH_END = `(/|(?=[${DELIM}]|$))`;
/** Any checkout under a `.omk/worktrees/` (the run's worktree, a gate workspace), as path or file URL. */
const OMK_CHECKOUT = new RegExp(
  `(?<=^|[${DELIM}])(?:file://)?(?:${SEGMENT})*/\\.omk/worktrees${SEGMENT}${PATH_END}`,
  "gm",
);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Paths as the agent sees them: anything under the run's worktree or a gate workspace (both checkouts
 * of the repository) and under `roots` (the repository's root) becomes relative to the repository
 * root; the checkout itself becomes `.`.
 */
export function repoRelative(text: string, roots: readonly string[] = []): string {
  const relative = (_m: string, slash: string) => (slash === "/" ? "" : ".");
  let out = text.replace(OMK_CHECKOUT, relative);
  const bases = roots.map((r) => r.replace(/\/+$/, "")).filter((r) => r.startsWith("/") && r.length > 1);
  for (const base of bases.sort((a, b) => b.length - a.length)) {
    out = out.replace(
      new RegExp(`(?<=^|[${DELIM}])(?:file://)?${escapeRegExp(base)}${PATH_END}`, "gm"),
      relative,
    );
  }
  return out;
}

/** The failing tests the output names, in the first format that names any; null when none does. */
export function extractTestFailures(output: string): TestFailureReport | null {
  const lines = plainText(output).split("\n");
  for (const [format, parse] of PARSERS) {
    const found = parse(lines).filter((f) => f.name !== "");
    if (found.length === 0) continue;
    return { format, failures: found.slice(0, MAX_FAILURES).map(capFailure), total: found.length };
  }
  return null;
}
