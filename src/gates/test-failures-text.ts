/** One failing test as a runner reported it. Every field is bounded (see capFailure). */
export interface TestFailure {
  /** Suite path and test name, joined by " > " (pytest: its node id; cargo and go: their full name). */
  name: string;
  /** The assertion message: the error's own lines, without stack frames or code frames. */
  message: string;
  /** `file:line[:col]` where the runner placed the failure, when it said. */
  location: string | null;
}

export type TestParser = (lines: readonly string[]) => TestFailure[];

const MAX_NAME_CHARS = 300;
const MAX_LOCATION_CHARS = 300;
const MAX_MESSAGE_LINES = 20;
const MAX_MESSAGE_CHARS = 1500;

export function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

function isBlank(line: string): boolean {
  return line.trim() === "";
}

/** Removes the indentation every non-blank line shares. */
export function dedent(lines: readonly string[]): string[] {
  let common = Number.POSITIVE_INFINITY;
  for (const l of lines) if (!isBlank(l)) common = Math.min(common, indentOf(l));
  if (common === Number.POSITIVE_INFINITY) return lines.map(() => "");
  return lines.map((l) => (isBlank(l) ? "" : l.slice(common)));
}

/** Dedented, right-trimmed, blank runs collapsed to one line, no blank lines at either end. */
export function tidy(lines: readonly string[]): string {
  const out: string[] = [];
  for (const l of dedent(lines)) {
    const line = l.trimEnd();
    if (line === "" && (out.length === 0 || out[out.length - 1] === "")) continue;
    out.push(line);
  }
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out.join("\n");
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A runner prints whatever a test makes it print: every failure is cut to a fixed size. */
export function capFailure(f: TestFailure): TestFailure {
  let lines = f.message.split("\n");
  if (lines.length > MAX_MESSAGE_LINES)
    lines = [...lines.slice(0, MAX_MESSAGE_LINES), `… (${lines.length - MAX_MESSAGE_LINES} more lines)`];
  return {
    name: cut(f.name.trim(), MAX_NAME_CHARS),
    message: cut(lines.join("\n"), MAX_MESSAGE_CHARS),
    location: f.location === null ? null : cut(f.location.trim(), MAX_LOCATION_CHARS),
  };
}

/** `'x'` and `"x"` as YAML and JS print them; anything else as is. */
export function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1).replaceAll("''", "'");
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    try {
      return String(JSON.parse(v));
    } catch {
      return v.slice(1, -1);
    }
  }
  return v;
}

/** The `file:line[:col]` inside a stack frame such as `at f (file:///a/b.js:3:4)` or `at /a/b.js:3:4`. */
export function frameLocation(line: string): string | null {
  const m = /^\s*at (?:.*\((.+:\d+(?::\d+)?)\)|(\S+:\d+(?::\d+)?))\s*$/.exec(line);
  const loc = m?.[1] ?? m?.[2] ?? null;
  if (loc === null || loc.startsWith("node:") || loc.includes("node_modules")) return null;
  return loc.startsWith("file://") ? loc.slice("file://".length) : loc;
}

/** The lines after `start` up to (not including) the first one `stop` accepts, or the end. */
export function linesUntil(
  lines: readonly string[],
  start: number,
  stop: (line: string, i: number) => boolean,
): string[] {
  const out: string[] = [];
  for (let i = start; i < lines.length; i++) {
    const line = lines[i] as string;
    if (stop(line, i)) break;
    out.push(line);
  }
  return out;
}
