import fc from "fast-check";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { GLOB_OPTIONS, globSyntaxProblem, globsOverlap, setMatcher } from "../../../src/goal/globs.js";

describe("globsOverlap", () => {
  it.each([
    ["src/a.ts", "src/a.ts", true],
    ["src/a.ts", "src/b.ts", false],
    ["src/**", "src/a/b.ts", true],
    ["src/**", "src", true],
    ["src/**", "test/**", false],
    ["**/*.ts", "docs/x.md", false],
    ["**/*.ts", "src/**", true],
    ["src/*.ts", "src/*.js", false],
    ["src/a*", "src/*b", true],
    ["src/x?", "src/xy", true],
    ["Src/A.ts", "src/a.ts", true],
    ["**", "anything/at/all", true],
    ["a/*/c", "a/b/d", false],
  ])("%s × %s → %s", (a, b, expected) => {
    expect(globsOverlap(a, b)).toBe(expected);
    expect(globsOverlap(b, a)).toBe(expected);
  });

  it("is sound: whenever one path matches both globs, they overlap", () => {
    const seg = fc.constantFrom("a", "b", "ab", "x.ts", "*", "**", "?", "a*", "*.ts", "?b");
    const glob = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join("/"));
    const pathSeg = fc.constantFrom("a", "b", "ab", "x.ts", "bb", "y.ts");
    const path = fc.array(pathSeg, { minLength: 1, maxLength: 5 }).map((s) => s.join("/"));
    fc.assert(
      fc.property(glob, glob, path, (g, h, p) => {
        if (picomatch.isMatch(p, g, GLOB_OPTIONS) && picomatch.isMatch(p, h, GLOB_OPTIONS)) {
          expect(globsOverlap(g, h)).toBe(true);
        }
      }),
      { numRuns: 20_000 },
    );
  });
});

describe("glob syntax", () => {
  it.each(["{.git,src}/**", "[.]git", "@(a)", "!src", "a**b/c"])("refuses %j", (g) => {
    expect(globSyntaxProblem(g)).not.toBeNull();
  });

  it("never lets a wildcard reach a dot-name", () => {
    const m = setMatcher(["**", "*/**", "?git/**"]);
    for (const p of [".git/config", "a/.env", ".github/workflows/x.yml"]) expect(m(p)).toBe(false);
    expect(m("src/a.ts")).toBe(true);
  });
});
