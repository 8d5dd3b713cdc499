import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  extractTestFailures,
  MAX_FAILURES,
  plainText,
  repoRelative,
  type TestOutputFormat,
} from "../../../src/gates/test-failures.js";

const DIR = "test/fixtures/test-output";
const fixture = (name: string) => readFileSync(`${DIR}/${name}`, "utf8");
/** As the feedback reads a gate's output: plain text, paths relative to the repository root. */
const extract = (text: string) => extractTestFailures(repoRelative(plainText(text), ["/tmp/omkfx/repo"]));

const ESC = /\u001b/;

/** name, location, first line of the message. */
type Row = readonly [string, string | null, string];

const NODE_ROWS = (dir: string, parseMessage: string): Row[] => [
  ["multiply > handles zero", `${dir}test/math.test.js:10:3`, "Expected values to be strictly equal:"],
  [
    "multiply > multiplies positives",
    `${dir}test/math.test.js:13:3`,
    "Expected values to be strictly deep-equal:",
  ],
  ["parse reads JSON", `${dir}test/math.test.js:18:1`, parseMessage],
];
const JSON_ERROR = "Expected property name or '}' in JSON at position 1";

const EXPECTED: Record<string, { format: TestOutputFormat; rows: Row[] }> = {
  "node20-tap.txt": { format: "tap", rows: NODE_ROWS("node/", JSON_ERROR) },
  "node22-tap.txt": { format: "tap", rows: NODE_ROWS("node/", `${JSON_ERROR} (line 1 column 2)`) },
  "node20-spec.txt": {
    format: "node-spec",
    rows: NODE_ROWS("", `SyntaxError [Error]: ${JSON_ERROR}`).map(([n, l, m], i) => [
      n,
      l,
      i < 2 ? `AssertionError [ERR_ASSERTION]: ${m}` : m,
    ]),
  },
  "node22-spec.txt": {
    format: "node-spec",
    rows: NODE_ROWS("", `SyntaxError: ${JSON_ERROR} (line 1 column 2)`).map(([n, l, m], i) => [
      n,
      l,
      i < 2 ? `AssertionError [ERR_ASSERTION]: ${m}` : m,
    ]),
  },
  "vitest.txt": {
    format: "vitest",
    rows: [
      [
        "multiply > handles zero",
        "test/math.test.js:10:28",
        "AssertionError: expected 1 to be +0 // Object.is equality",
      ],
      [
        "multiply > multiplies positives",
        "test/math.test.js:13:41",
        "AssertionError: expected { product: 7 } to deeply equal { product: 6 }",
      ],
      ["parse reads JSON", "test/math.test.js:18:3", `SyntaxError: ${JSON_ERROR}`],
    ],
  },
  "jest.txt": {
    format: "jest",
    rows: [
      [
        "multiply > handles zero",
        "test/math.test.js:9:28",
        "expect(received).toBe(expected) // Object.is equality",
      ],
      [
        "multiply > multiplies positives",
        "test/math.test.js:12:41",
        "expect(received).toEqual(expected) // deep equality",
      ],
      ["parse reads JSON", "math.js:8:15", `SyntaxError: ${JSON_ERROR}`],
    ],
  },
  "pytest.txt": {
    format: "pytest",
    rows: [
      ["tests/test_math.py::TestMultiply::test_handles_zero", "tests/test_math.py:10", "assert 1 == 0"],
      [
        "tests/test_math.py::TestMultiply::test_multiplies_positives",
        "tests/test_math.py:13",
        "AssertionError: assert {'product': 7} == {'product': 6}",
      ],
      [
        "tests/test_math.py::test_parse",
        "tests/test_math.py:17",
        "json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
      ],
    ],
  },
  "cargo.txt": {
    format: "cargo",
    rows: [
      [
        "tests::multiply_tests::handles_zero",
        "src/lib.rs:27:13",
        "assertion `left == right` failed: anything times zero is zero",
      ],
      [
        "tests::parse_reads_numbers",
        "src/lib.rs:10:25",
        "called `Result::unwrap()` on an `Err` value: ParseIntError { kind: InvalidDigit }",
      ],
      [
        "tests::multiply_tests::multiplies_positives",
        "src/lib.rs:32:13",
        "assertion failed: multiply(2, 3) == 6",
      ],
    ],
  },
  "go.txt": {
    format: "go",
    rows: [
      ["TestMultiply/handles_zero", "math_test.go:12", "multiply(7, 0) = 1, want 0"],
      ["TestMultiply/multiplies_positives", "math_test.go:18", "multiply(2, 3) = 7, want 6"],
      [
        "TestParse",
        "math_test.go:26",
        'parse("forty-two"): strconv.Atoi: parsing "forty-two": invalid syntax',
      ],
    ],
  },
};
EXPECTED["node20-spec-color.txt"] = EXPECTED["node20-spec.txt"]!;
EXPECTED["vitest-color.txt"] = EXPECTED["vitest.txt"]!;
EXPECTED["cargo-backtrace.txt"] = EXPECTED["cargo.txt"]!;
EXPECTED["go-verbose.txt"] = {
  format: "go",
  rows: [
    ...EXPECTED["go.txt"]!.rows,
    ["TestIndex", null, "panic: runtime error: index out of range [3] with length 3"],
  ],
};

describe("extractTestFailures over real runner output", () => {
  it("has an expectation for every fixture", () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith(".txt"));
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))("%s", (file, want) => {
    const report = extract(fixture(file));
    expect(report?.format).toBe(want.format);
    expect(report?.total).toBe(want.rows.length);
    const rows = report?.failures.map((f) => [f.name, f.location, f.message.split("\n")[0]]);
    expect(rows).toEqual(want.rows);
    for (const f of report?.failures ?? []) {
      expect(f.message).not.toMatch(ESC);
      expect(f.message).not.toMatch(/^\s*at /m); // no stack frames
      expect(f.message).not.toMatch(/^\s*>?\s*\d+ ?\|/m); // no code frames
      expect(`${f.location} ${f.message}`).not.toContain("/tmp/omkfx");
    }
  });

  it("keeps the whole assertion message: the diff under it, not the stack or the error object", () => {
    const spec = extract(fixture("node22-spec.txt"))?.failures[1]?.message;
    expect(spec).toBe(
      [
        "AssertionError [ERR_ASSERTION]: Expected values to be strictly deep-equal:",
        "+ actual - expected",
        "",
        "  {",
        "+   product: 7",
        "-   product: 6",
        "  }",
      ].join("\n"),
    );
    expect(extract(fixture("vitest-color.txt"))?.failures[0]?.message).toBe(
      "AssertionError: expected 1 to be +0 // Object.is equality\n\n- Expected\n+ Received\n\n- 0\n+ 1",
    );
    expect(extract(fixture("pytest.txt"))?.failures[0]?.message).toBe(
      "assert 1 == 0\n +  where 1 = multiply(7, 0)",
    );
    expect(extract(fixture("cargo-backtrace.txt"))?.failures[0]?.message).toBe(
      "assertion `left == right` failed: anything times zero is zero\n  left: 1\n right: 0",
    );
    expect(extract(fixture("go.txt"))?.failures[2]?.message).toBe(
      'parse("forty-two"): strconv.Atoi: parsing "forty-two": invalid syntax\n    (the input came from fixtures/numbers.txt)',
    );
  });

  it("finds the failures in the end of the output alone (a gate's recorded tail)", () => {
    // The last 1,200 characters: pytest's summary, the last sections of the others.
    const ends: Record<string, string[]> = {
      "pytest.txt": [
        "tests/test_math.py::TestMultiply::test_handles_zero",
        "tests/test_math.py::TestMultiply::test_multiplies_positives",
        "tests/test_math.py::test_parse",
      ],
      "node22-spec.txt": ["parse reads JSON"],
      "node20-tap.txt": ["parse reads JSON"],
      "vitest.txt": ["multiply > multiplies positives", "parse reads JSON"],
      "jest.txt": ["multiply > multiplies positives", "parse reads JSON"],
      // A section with its panic message, then the names libtest listed whose sections were cut.
      "cargo-backtrace.txt": [
        "tests::multiply_tests::multiplies_positives",
        "tests::multiply_tests::handles_zero",
        "tests::parse_reads_numbers",
      ],
    };
    for (const [file, names] of Object.entries(ends)) {
      const text = fixture(file);
      const size = file === "cargo-backtrace.txt" ? 2000 : 1200;
      const report = extract(text.slice(text.length - size));
      expect(
        report?.failures.map((f) => f.name),
        file,
      ).toEqual(names);
      expect(report?.failures[0]?.message, file).not.toBe("");
    }
    // Only libtest's list of names is left.
    const cargoEnd = fixture("cargo.txt").split("\nfailures:\n").at(-1) ?? "";
    expect(extract(`failures:\n${cargoEnd}`)?.failures.map((f) => f.name)).toEqual([
      "tests::multiply_tests::handles_zero",
      "tests::multiply_tests::multiplies_positives",
      "tests::parse_reads_numbers",
    ]);
  });

  it("finds nothing in output with no failing test", () => {
    for (const text of [
      "",
      "all good\n",
      "# tests 3\n# pass 3\n# fail 0\n",
      "ok 1 - works\n1..1\n",
      "FAIL\n",
    ])
      expect(extractTestFailures(text)).toBeNull();
  });
});

describe("TAP beyond node:test", () => {
  it("skips TODO and SKIP directives and unescapes names", () => {
    const tap = [
      "TAP version 13",
      "not ok 1 - not done yet # TODO later",
      "not ok 2 - flaky # SKIP on CI",
      "not ok 3 - handles \\# and \\\\ # time=3ms",
      "  ---",
      "  message: 'should be equal'",
      "  operator: equal",
      "  at: Test.<anonymous> (/x/test.js:5:5)",
      "  ...",
      "not ok 4 - bare",
      "  ---",
      "  expected: 2",
      "  actual: 3",
      "  ...",
      "1..4",
    ].join("\n");
    expect(extractTestFailures(tap)?.failures).toEqual([
      { name: "handles # and \\", message: "should be equal", location: "Test.<anonymous> (/x/test.js:5:5)" },
      { name: "bare", message: "expected: 2\nactual: 3", location: null },
    ]);
  });
});

describe("bounds", () => {
  it("keeps the first MAX_FAILURES, counts the rest, and cuts every message", () => {
    const tap = Array.from(
      { length: 50 },
      (_, i) =>
        `not ok ${i + 1} - t${i}\n  ---\n  error: |-\n${Array.from({ length: 40 }, () => `    ${"m".repeat(100)}`).join("\n")}\n  ...`,
    ).join("\n");
    const report = extractTestFailures(tap);
    expect(report?.total).toBe(50);
    expect(report?.failures).toHaveLength(MAX_FAILURES);
    for (const f of report?.failures ?? []) expect(f.message.length).toBeLessThanOrEqual(1500);
  });
});

describe("plainText", () => {
  it("drops colours, hyperlinks and other escapes, and keeps the last state of a rewritten line", () => {
    const text =
      "\u001b[31mred\u001b[39m \u001b]8;;http://x\u0007link\u001b]8;;\u0007\r\n" +
      "progress 10%\rprogress 100%\n\u001b(Bbell\u0007 done\u001b[2K\n";
    expect(plainText(text)).toBe("red link\nprogress 100%\nbell done\n");
  });
});

describe("repoRelative", () => {
  it("makes paths in gate workspaces and run worktrees relative to the repository root", () => {
    const text = [
      "at f (file:///home/u/repo/.omk/worktrees/gates-3/src/a.js:1:2)",
      "/home/u/repo/.omk/worktrees/run-20260301-abcd/test/b.test.js:4",
      "rootdir: /home/u/repo/.omk/worktrees/gates-0",
      "'/private/var/r/.omk/worktrees/gates-1/x.py'",
      "/home/u/repo/src/c.js and /home/u/repository/d.js and /elsewhere/home/u/repo/e.js",
    ].join("\n");
    expect(repoRelative(text, ["/home/u/repo/"])).toBe(
      [
        "at f (src/a.js:1:2)",
        "test/b.test.js:4",
        "rootdir: .",
        "'x.py'",
        "src/c.js and /home/u/repository/d.js and /elsewhere/home/u/repo/e.js",
      ].join("\n"),
    );
  });

  it("leaves other absolute paths and relative mentions alone", () => {
    const text = "/usr/lib/node.js:1 and docs/.omk/worktrees/x and node:internal/x:3";
    expect(repoRelative(text, ["/"])).toBe(text);
  });
});
