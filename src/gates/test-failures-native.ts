import { indentOf, linesUntil, type TestFailure, tidy } from "./test-failures-text.js";

// ---------------------------------------------------------------------------------------------
// pytest: the FAILURES / ERRORS sections (`____ name ____` blocks) and the short test summary

const PYTEST_RULE = /^={3,}/;
const PYTEST_HEADER = /^_{3,} (.+?) _{3,}$/;
const PYTEST_SUMMARY = /^(FAILED|ERROR) (\S+)(?: - (.*))?$/;

interface PytestSection {
  header: string;
  message: string;
  location: string | null;
}

function pytestSection(header: string, body: readonly string[]): PytestSection {
  // `E   ` lines are pytest's explanation of the assertion or the exception.
  const explained = body.filter((l) => /^E(\s|$)/.test(l)).map((l) => l.slice(1));
  let location: string | null = null;
  for (const l of body) {
    const m = /^(\S+\.py):(\d+):/.exec(l);
    if (m) {
      location = `${m[1]}:${m[2]}`;
      break;
    }
  }
  const message = explained.length > 0 ? tidy(explained) : "";
  return { header, message, location };
}

/** `tests/t.py::TestX::test_y[1]` as pytest titles its section: `TestX.test_y[1]`. */
function sectionTitle(nodeId: string): string {
  const parts = nodeId.split("::");
  return parts.length > 1 ? parts.slice(1).join(".") : `ERROR collecting ${nodeId}`;
}

export function parsePytest(lines: readonly string[]): TestFailure[] {
  const sections: PytestSection[] = [];
  lines.forEach((line, i) => {
    const m = PYTEST_HEADER.exec(line);
    if (!m) return;
    const body = linesUntil(lines, i + 1, (l) => PYTEST_HEADER.test(l) || PYTEST_RULE.test(l));
    sections.push(pytestSection(m[1] ?? "", body));
  });
  const summary = lines.flatMap((l) => {
    const m = PYTEST_SUMMARY.exec(l);
    return m ? [{ nodeId: m[2] ?? "", short: m[3] ?? "" }] : [];
  });
  if (summary.length === 0)
    return sections.map((s) => ({ name: s.header, message: s.message, location: s.location }));
  return summary.map(({ nodeId, short }) => {
    const s = sections.find((x) => x.header === sectionTitle(nodeId));
    return {
      name: nodeId,
      message: s && s.message !== "" ? s.message : short,
      location: s?.location ?? null,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// go test (plain and -v)

const GO_RESULT = /^(\s*)--- FAIL: (\S+) \([\d.]+s\)\s*$/;
const GO_ANY_RESULT = /^\s*--- (FAIL|PASS|SKIP):/;
const GO_RUN = /^=== (?:RUN|NAME|CONT)\s+(\S+)\s*$/;

function goFailure(name: string, logLines: readonly string[]): TestFailure {
  const text = tidy(logLines);
  const m = /^(\S+\.go:\d+): ([\s\S]*)$/.exec(text);
  return m
    ? { name, message: tidy((m[2] ?? "").split("\n")), location: m[1] ?? null }
    : { name, message: text, location: null };
}

export function parseGo(lines: readonly string[]): TestFailure[] {
  // -v streams a test's log under its `=== RUN` line; without -v the log follows its `--- FAIL`.
  const logs = new Map<string, string[]>();
  let current: string | null = null;
  const found: { name: string; own: string[]; panic: string[] }[] = [];
  lines.forEach((line, i) => {
    const run = GO_RUN.exec(line);
    if (run) {
      current = run[1] ?? null;
      if (current !== null && !logs.has(current)) logs.set(current, []);
      return;
    }
    if (GO_ANY_RESULT.test(line)) current = null;
    else if (current !== null && /^ {4}/.test(line)) logs.get(current)?.push(line);
    const m = GO_RESULT.exec(line);
    if (!m) return;
    const indent = (m[1] ?? "").length;
    const own = linesUntil(
      lines,
      i + 1,
      (l) => GO_ANY_RESULT.test(l) || (l.trim() !== "" && indentOf(l) <= indent),
    );
    const next = lines[i + 1 + own.length] ?? "";
    const panic = next.startsWith("panic: ") ? [next.replace(/ \[recovered\]$/, "")] : [];
    found.push({ name: m[2] ?? "", own, panic });
  });
  const failures: TestFailure[] = [];
  for (const f of found) {
    const log = f.own.some((l) => l.trim() !== "") ? f.own : (logs.get(f.name) ?? []);
    const hasLog = log.some((l) => l.trim() !== "");
    // A test that failed only through its subtests: they are listed themselves.
    if (!hasLog && f.panic.length === 0 && found.some((g) => g.name.startsWith(`${f.name}/`))) continue;
    failures.push(
      hasLog ? goFailure(f.name, log) : { name: f.name, message: f.panic.join("\n"), location: null },
    );
  }
  return failures;
}

// ---------------------------------------------------------------------------------------------
// cargo test (libtest: `---- name stdout ----` sections, then the `failures:` list)

const CARGO_SECTION = /^---- (.+) stdout ----$/;
const CARGO_PANIC_NEW = /^thread '.*?'(?: \(\d+\))? panicked at (.+?):?$/;
const CARGO_PANIC_OLD = /^thread '.*?' panicked at '(.*)', (\S+)$/;

function cargoFailure(name: string, body: readonly string[]): TestFailure {
  for (let i = 0; i < body.length; i++) {
    const line = body[i] as string;
    const old = CARGO_PANIC_OLD.exec(line);
    if (old) return { name, message: old[1] ?? "", location: old[2] ?? null };
    const m = CARGO_PANIC_NEW.exec(line);
    if (!m) continue;
    const message = linesUntil(body, i + 1, (l) => /^(note: |stack backtrace:)/.test(l) || l.trim() === "");
    return { name, message: tidy(message), location: m[1] ?? null };
  }
  return { name, message: tidy(body), location: null };
}

export function parseCargo(lines: readonly string[]): TestFailure[] {
  const failures: TestFailure[] = [];
  lines.forEach((line, i) => {
    const m = CARGO_SECTION.exec(line);
    if (!m) return;
    const body = linesUntil(
      lines,
      i + 1,
      (l) => CARGO_SECTION.test(l) || /^(failures:|test result:)/.test(l),
    );
    failures.push(cargoFailure(m[1] ?? "", body));
  });
  // The end of the output may hold only some sections (or none): the names libtest marked FAILED.
  const names = lines.flatMap((l) => {
    const f = /^test (\S+) \.\.\. FAILED$/.exec(l);
    return f ? [f[1] ?? ""] : [];
  });
  const listed = lines.lastIndexOf("failures:");
  if (listed >= 0) {
    for (const l of linesUntil(lines, listed + 1, (x) => /^test result:/.test(x))) {
      if (/^ {4}\S+$/.test(l)) names.push(l.trim());
    }
  }
  const known = new Set(failures.map((f) => f.name));
  for (const name of new Set(names)) {
    if (!known.has(name)) failures.push({ name, message: "", location: null });
  }
  return failures;
}
