import { describe, expect, it } from "vitest";
import { age, cutAtWord, editDistance, nearestName, table } from "../../../src/cli/format.js";
import { buildProgram } from "../../../src/cli/program.js";

describe("cli format helpers", () => {
  it("cutAtWord keeps whole words and marks the cut", () => {
    expect(cutAtWord("fix the flaky test", 60)).toBe("fix the flaky test");
    expect(cutAtWord("fix the flaky test in the parser", 16)).toBe("fix the flaky…");
    expect(cutAtWord("first line\nsecond line", 60)).toBe("first line");
    expect(cutAtWord("a".repeat(30), 10)).toBe(`${"a".repeat(9)}…`);
  });

  it("age is coarse and never negative", () => {
    const now = new Date("2025-01-02T00:00:00Z");
    expect(age("2025-01-01T23:59:30Z", now)).toBe("30s");
    expect(age("2025-01-01T23:00:00Z", now)).toBe("1h");
    expect(age("2024-12-30T00:00:00Z", now)).toBe("3d");
    expect(age("2025-01-03T00:00:00Z", now)).toBe("0s");
  });

  it("nearestName: within two edits, fewer than a short name has letters", () => {
    const names = ["start", "resume", "export", "list", "show", "diff", "rm"];
    expect(editDistance("lst", "list")).toBe(1);
    expect(nearestName("lst", names)).toBe("list");
    expect(nearestName("ls", names)).toBe("list");
    expect(nearestName("rn", names)).toBe("rm");
    expect(nearestName("x", names)).toBeNull();
    expect(nearestName("refactor", names)).toBeNull();
    expect(nearestName("fix", names)).toBeNull();
  });

  it("table pads every column but the last", () => {
    expect(
      table([
        ["A", "BB", "C"],
        ["long", "x", "tail"],
      ]),
    ).toEqual(["A     BB  C", "long  x   tail"]);
  });
});

describe("help texts", () => {
  it("no description is hard-wrapped: commander wraps to the terminal", () => {
    const walk = (c: ReturnType<typeof buildProgram>): string[] => [
      c.description(),
      ...c.options.map((o) => o.description),
      ...c.commands.flatMap((s) => walk(s)),
    ];
    for (const text of walk(buildProgram())) expect(text).not.toContain("\n");
  });
});
