import {
  frameLocation,
  indentOf,
  linesUntil,
  type TestFailure,
  tidy,
  unquote,
} from "./test-failures-text.js";

/** A stack frame (`at …`) or a code frame (`  8| code`, `> 9 | code`): where a message ends. */
const STACK_FRAME = /^\s*at \S/;
const CODE_FRAME = /^\s*>?\s*\d+\s?\|/;

// ---------------------------------------------------------------------------------------------
// TAP (node:test's default reporter when stdout is not a TTY, tape, …)

const TAP_RESULT = /^(\s*)not ok\b(?:\s+\d+)?(?:\s*-)?\s?(.*)$/;
const TAP_SUBTEST = /^(\s*)# Subtest: (.*)$/;

/** `name # TODO x` → name and directive; node escapes `#` and `\\` in names. */
function tapName(text: string): { name: string; directive: string } {
  let name = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "\\" && i + 1 < text.length) {
      name += text[++i];
    } else if (c === "#" && (i === 0 || text[i - 1] === " ")) {
      return { name: name.trim(), directive: text.slice(i + 1).trim() };
    } else {
      name += c;
    }
  }
  return { name: name.trim(), directive: "" };
}

/** The YAML diagnostics block after a result line: top-level `key: value`, block scalars dedented. */
function tapYaml(lines: readonly string[], at: number, indent: number): Map<string, string> {
  const fields = new Map<string, string>();
  const open = lines[at];
  if (open === undefined || open.trim() !== "---" || indentOf(open) <= indent) return fields;
  const keyIndent = indentOf(open);
  for (let i = at + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "..." && indentOf(line) === keyIndent) break;
    if (indentOf(line) !== keyIndent || line.trim() === "") continue;
    const m = /^\s*([\w-]+):\s?(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1] as string;
    const value = (m[2] ?? "").trim();
    if (/^[|>][+-]?$/.test(value) || value === "") {
      const block = linesUntil(lines, i + 1, (l) => l.trim() !== "" && indentOf(l) <= keyIndent);
      fields.set(key, tidy(block));
    } else {
      fields.set(key, unquote(value));
    }
  }
  return fields;
}

export function parseTap(lines: readonly string[]): TestFailure[] {
  const failures: TestFailure[] = [];
  const suites: { indent: number; name: string }[] = [];
  lines.forEach((line, i) => {
    const sub = TAP_SUBTEST.exec(line);
    if (sub) {
      const indent = (sub[1] ?? "").length;
      while (suites.length > 0 && (suites[suites.length - 1]?.indent ?? 0) >= indent) suites.pop();
      suites.push({ indent, name: tapName(sub[2] ?? "").name });
      return;
    }
    const m = TAP_RESULT.exec(line);
    if (!m) return;
    const indent = (m[1] ?? "").length;
    const { name, directive } = tapName(m[2] ?? "");
    if (/^(todo|skip)\b/i.test(directive)) return;
    const y = tapYaml(lines, i + 1, indent);
    // A suite that failed only because tests inside it did: its tests are listed themselves.
    if (y.get("failureType") === "subtestsFailed") return;
    const parents = suites.filter((s) => s.indent < indent).map((s) => s.name);
    let message = y.get("error") ?? y.get("message") ?? "";
    if (message === "" && y.has("expected") && y.has("actual"))
      message = `expected: ${y.get("expected")}\nactual: ${y.get("actual")}`;
    const where = y.get("location") ?? y.get("at") ?? null;
    failures.push({ name: [...parents, name].join(" > "), message, location: where });
  });
  return failures;
}

// ---------------------------------------------------------------------------------------------
// node:test's spec reporter (the default on a TTY; `--test-reporter=spec`)

const SPEC_LINE = /^(\s*)([▶✔✖﹣⚠ℹ]) (.*)$/;
const SPEC_DURATION = /\s\([\d.]+m?s\)(?:\s#.*)?$/;

/** Message of a spec entry: the error's lines before its stack, without node's `{ code: … }` tail. */
function specMessage(body: readonly string[]): string {
  return tidy(linesUntil(body, 0, (l) => STACK_FRAME.test(l)));
}

function specLocation(body: readonly string[]): string | null {
  for (const l of body) {
    const loc = frameLocation(l);
    if (loc !== null) return loc;
  }
  return null;
}

export function parseNodeSpec(lines: readonly string[]): TestFailure[] {
  const summary = lines.findIndex((l) => /^✖ failing tests:\s*$/.test(l));
  // Suite paths from the tree: the same `✖ name (duration)` line appears in the summary.
  const paths = new Map<string, string[]>();
  const suites: { indent: number; name: string }[] = [];
  const tree: TestFailure[] = [];
  const treeEnd = summary < 0 ? lines.length : summary;
  for (let i = 0; i < treeEnd; i++) {
    const m = SPEC_LINE.exec(lines[i] as string);
    if (!m) continue;
    const indent = (m[1] ?? "").length;
    while (suites.length > 0 && (suites[suites.length - 1]?.indent ?? 0) >= indent) suites.pop();
    const text = m[3] ?? "";
    const name = text.replace(SPEC_DURATION, "");
    if (m[2] === "▶" && !SPEC_DURATION.test(text)) suites.push({ indent, name });
    if (m[2] !== "✖") continue;
    const path = [...suites.map((s) => s.name), name];
    paths.set(text.trim(), path);
    // Without a summary (older reporters), a failed test is a ✖ line with the error indented under it.
    const body = linesUntil(lines, i + 1, (l) => l.trim() !== "" && indentOf(l) <= indent);
    if (body.some((l) => l.trim() !== ""))
      tree.push({ name: path.join(" > "), message: specMessage(body), location: specLocation(body) });
  }
  if (summary < 0) return tree;

  const failures: TestFailure[] = [];
  let location: string | null = null;
  for (let i = summary + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const at = /^test at (.+)$/.exec(line);
    if (at) {
      location = at[1]?.trim() ?? null;
      continue;
    }
    const m = /^✖ (.*)$/.exec(line);
    if (!m) continue;
    const text = (m[1] ?? "").trim();
    const body = linesUntil(lines, i + 1, (l) => /^(✖ |test at )/.test(l));
    const path = paths.get(text) ?? [text.replace(SPEC_DURATION, "")];
    failures.push({
      name: path.join(" > "),
      message: specMessage(body),
      location: location ?? specLocation(body),
    });
    location = null;
  }
  return failures;
}

// ---------------------------------------------------------------------------------------------
// vitest (its "Failed Tests" section)

const VITEST_HEADER = /^ ?FAIL {2}(\S.*?)\s*$/;
const VITEST_SEPARATOR = /^⎯{3,}/;
const VITEST_WHERE = /^\s*❯\s+(.*\S)\s*$/;

export function parseVitest(lines: readonly string[]): TestFailure[] {
  const failures: TestFailure[] = [];
  lines.forEach((line, i) => {
    const m = VITEST_HEADER.exec(line);
    if (!m) return;
    const header = (m[1] ?? "").replace(/\s\[ .* \]$/, "");
    const [file = header, ...path] = header.split(" > ");
    const body = linesUntil(
      lines,
      i + 1,
      (l) => VITEST_HEADER.test(l) || VITEST_SEPARATOR.test(l) || /^\s*Test Files\s/.test(l),
    );
    const message = tidy(linesUntil(body, 0, (l) => VITEST_WHERE.test(l) || STACK_FRAME.test(l)));
    const wheres = body.flatMap((l) => {
      const w = VITEST_WHERE.exec(l)?.[1];
      return w === undefined ? [] : [w.split(/\s+/).at(-1) ?? w];
    });
    const location = wheres.find((w) => w.startsWith(`${file}:`)) ?? wheres[0] ?? file;
    failures.push({ name: path.length > 0 ? path.join(" > ") : file, message, location });
  });
  return failures;
}

// ---------------------------------------------------------------------------------------------
// jest (`  ● suite › test` blocks)

const JEST_HEADER = /^ {2}● (.+?)\s*$/;

export function parseJest(lines: readonly string[]): TestFailure[] {
  const failures: TestFailure[] = [];
  lines.forEach((line, i) => {
    const m = JEST_HEADER.exec(line);
    if (!m || m[1] === "Console") return;
    const body = linesUntil(
      lines,
      i + 1,
      (l) => JEST_HEADER.test(l) || /^(Test Suites:|Tests:|FAIL |PASS |Summary of all failing)/.test(l),
    );
    const message = tidy(linesUntil(body, 0, (l) => STACK_FRAME.test(l) || CODE_FRAME.test(l)));
    let location: string | null = null;
    for (const l of body) {
      location = frameLocation(l);
      if (location !== null) break;
    }
    failures.push({ name: (m[1] ?? "").split(" › ").join(" > "), message, location });
  });
  return failures;
}
