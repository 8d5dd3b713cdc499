import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { setupFailureDetail, toolErrorLines } from "../../../src/project/workspace-errors.js";

/** What npm 11 printed for `npm ci` in a directory with a package.json and no lockfile. */
const NPM_CI = readFileSync(
  new URL("../../fixtures/setup/npm-ci-no-lockfile.stderr.txt", import.meta.url),
  "utf8",
);

describe("the error lines of a failed setup command", () => {
  it("npm: the error paragraph, not the usage dump, the alias list or the log path", () => {
    const lines = toolErrorLines(NPM_CI)!.split("\n");
    expect(lines[0]).toBe("npm error code EUSAGE");
    expect(lines.join("\n")).toContain("can only install with an existing package-lock.json");
    expect(lines.join("\n")).not.toMatch(/aliases|Usage:|--install-strategy|complete log/);
    expect(lines.length).toBeLessThanOrEqual(6);
    // The tail alone would have been npm's alias list and log path.
    expect(NPM_CI.trimEnd().split("\n").slice(-5).join("\n")).toMatch(/aliases: clean-install/);
  });

  it("other tools' error prefixes", () => {
    const cases: [string, string][] = [
      [
        "Collecting x\nERROR: Could not find a version that satisfies the requirement x\n",
        "ERROR: Could not find",
      ],
      [
        "    Updating crates.io index\nerror: failed to select a version for `serde`\n",
        "error: failed to select",
      ],
      [
        "Progress: resolved 1\n ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with frozen-lockfile\n",
        "ERR_PNPM_OUTDATED_LOCKFILE",
      ],
      ["yarn install v1\nerror Your lockfile needs to be updated\n", "error Your lockfile"],
      [
        "node:internal\nError: Cannot find module '/x/setup.js'\n    at Module._resolve\n",
        "Error: Cannot find module",
      ],
    ];
    for (const [text, want] of cases) expect(toolErrorLines(text), want).toContain(want);
  });

  it("falls back to the tail when nothing looks like an error, stderr first", () => {
    expect(toolErrorLines("setup exploded\n")).toBeNull();
    expect(setupFailureDetail("setup exploded\n", "stdout text\n")).toBe("setup exploded");
    expect(setupFailureDetail("", "1\n2\n3\n4\n5\n6\n")).toBe("2\n3\n4\n5\n6");
    expect(setupFailureDetail("warn: x\n", "error: on stdout\n")).toBe("error: on stdout");
  });
});
