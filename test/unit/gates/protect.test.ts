import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { detectGates, detectProtect } from "../../../src/gates/detect.js";
import { parseGatesToml } from "../../../src/gates/load.js";
import { renderGatesToml } from "../../../src/gates/render.js";
import { isTestPath, jsonValueAt, protectionRules } from "../../../src/security/protected.js";

describe("what defines the gates", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "omk-protect-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("omk init protects the script entries a gate runs, the files they name, and the Makefile", async () => {
    await writeFile(
      join(dir, "package.json"),
      JSON.stringify({
        scripts: { test: "node ./scripts/test.mjs --fast", lint: "biome check .", build: "tsc" },
      }),
    );
    await writeFile(join(dir, "Makefile"), "test:\n\tnpm test\n");
    await import("node:fs/promises").then((fs) => fs.mkdir(join(dir, "scripts")));
    await writeFile(join(dir, "scripts", "test.mjs"), "");
    const gates = await detectGates(dir);
    const protect = await detectProtect(dir, gates);
    expect(protect).toEqual(
      expect.arrayContaining([
        "package.json#scripts.test",
        "scripts/test.mjs",
        "package.json#scripts.lint",
        "Makefile",
      ]),
    );
    // What init writes reads back the same.
    const back = parseGatesToml(renderGatesToml(gates, protect), "gates.toml");
    expect(back.protect).toEqual(protect);
    expect(back.gates.map((g) => g.name)).toEqual(gates.map((g) => g.name));
  });

  it("rules: built-in globs, gates.toml globs and file#key entries; --allow-path permits", () => {
    const rules = protectionRules(["Makefile", "package.json#scripts.test"], [".claude/**"]);
    expect(rules.globFor(".omk/gates.toml")).toBe(".omk/**");
    expect(rules.globFor(".claude/settings.json")).toBe(".claude/**");
    expect(rules.globFor("opencode.json")).toBe("opencode.json");
    expect(rules.globFor("Makefile")).toBe("Makefile");
    expect(rules.globFor("src/app.ts")).toBeNull();
    expect(rules.globFor("package.json")).toBeNull();
    expect(rules.keys).toEqual([
      { file: "package.json", keyPath: ["scripts", "test"], entry: "package.json#scripts.test" },
    ]);
    expect(rules.allowedBy(".claude/settings.json")).toBe(".claude/**");
    expect(rules.allowedBy(".omk/config.toml")).toBeNull();
  });

  it("a JSON value compares by content; unparseable never equals", () => {
    const a = '{"scripts":{"test":"vitest"},"v":1}';
    expect(jsonValueAt(a, ["scripts", "test"])).toBe(
      jsonValueAt('{"v":2,"scripts":{"test":"vitest"}}', ["scripts", "test"]),
    );
    expect(jsonValueAt(a, ["scripts", "test"])).not.toBe(
      jsonValueAt('{"scripts":{"test":"true"}}', ["scripts", "test"]),
    );
    expect(jsonValueAt(a, ["scripts", "nope"])).toBeUndefined();
    expect(jsonValueAt("{broken", ["scripts", "test"])).not.toBe(jsonValueAt(a, ["scripts", "test"]));
    expect(jsonValueAt(null, ["x"])).toBeUndefined();
  });

  it("recognises test files across ecosystems", () => {
    for (const t of [
      "test/a.ts",
      "src/__tests__/x.js",
      "a.test.ts",
      "b.spec.mjs",
      "pkg/x_test.go",
      "tests/test_a.py",
      "FooTest.java",
    ])
      expect(isTestPath(t), t).toBe(true);
    for (const t of ["src/testing.ts", "contest.js", "README.md"]) expect(isTestPath(t), t).toBe(false);
  });
});
