import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detectGates } from "../../../src/gates/detect.js";
import { parseGatesToml } from "../../../src/gates/load.js";
import { renderGatesToml } from "../../../src/gates/render.js";
import type { GateSpec } from "../../../src/gates/schema.js";
import { withTempDir } from "../proc/support.js";

const env = { OMK_GATE_TIMEOUT_SECS: "600" };

async function detectIn(files: Record<string, string>): Promise<Array<[string, string[]]>> {
  return withTempDir("detect", async (dir) => {
    for (const [name, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), content);
    }
    const gates = await detectGates(dir, { env });
    for (const g of gates) {
      expect(g).toMatchObject({
        cwd: ".",
        env: {},
        required: true,
        allowFail: false,
        skip: false,
        timeoutSecs: 600,
      });
    }
    return gates.map((g) => [g.name, [g.command, ...g.args]]);
  });
}

const pkg = (scripts: Record<string, string>): string => JSON.stringify({ name: "x", scripts });

describe("detectGates", () => {
  it("finds nothing in an empty directory", async () => {
    expect(await detectIn({})).toEqual([]);
  });

  it("uses npm scripts test/lint/typecheck/build with npm by default", async () => {
    const scripts = {
      build: "tsc",
      test: "vitest run",
      lint: "biome check",
      typecheck: "tsc --noEmit",
      dev: "vite",
    };
    expect(await detectIn({ "package.json": pkg(scripts) })).toEqual([
      ["test", ["npm", "run", "test"]],
      ["lint", ["npm", "run", "lint"]],
      ["typecheck", ["npm", "run", "typecheck"]],
      ["build", ["npm", "run", "build"]],
    ]);
  });

  it("picks the package manager from the lockfile", async () => {
    const scripts = pkg({ test: "jest" });
    expect(await detectIn({ "package.json": scripts, "pnpm-lock.yaml": "" })).toEqual([
      ["test", ["pnpm", "run", "test"]],
    ]);
    expect(await detectIn({ "package.json": scripts, "yarn.lock": "" })).toEqual([
      ["test", ["yarn", "run", "test"]],
    ]);
    expect(await detectIn({ "package.json": scripts, "package-lock.json": "{}" })).toEqual([
      ["test", ["npm", "run", "test"]],
    ]);
  });

  it("skips npm's placeholder test script", async () => {
    const scripts = pkg({ test: 'echo "Error: no test specified" && exit 1', lint: "eslint ." });
    expect(await detectIn({ "package.json": scripts })).toEqual([["lint", ["npm", "run", "lint"]]]);
  });

  it("tolerates a package.json without scripts or with broken JSON", async () => {
    expect(await detectIn({ "package.json": "{}" })).toEqual([]);
    expect(await detectIn({ "package.json": "{ not json" })).toEqual([]);
  });

  it("detects Cargo", async () => {
    expect(await detectIn({ "Cargo.toml": '[package]\nname = "x"\n' })).toEqual([
      ["cargo-test", ["cargo", "test"]],
      ["cargo-build", ["cargo", "build"]],
    ]);
  });

  it("detects Go", async () => {
    expect(await detectIn({ "go.mod": "module example.com/x\n" })).toEqual([
      ["go-test", ["go", "test", "./..."]],
      ["go-vet", ["go", "vet", "./..."]],
    ]);
  });

  it("detects Python with pytest, and ruff only when configured", async () => {
    expect(await detectIn({ "pyproject.toml": '[project]\nname = "x"\n' })).toEqual([["pytest", ["pytest"]]]);
    expect(await detectIn({ "setup.cfg": "[metadata]\n" })).toEqual([["pytest", ["pytest"]]]);
    expect(await detectIn({ "pytest.ini": "[pytest]\n" })).toEqual([["pytest", ["pytest"]]]);
    expect(await detectIn({ "pyproject.toml": "[tool.ruff]\nline-length = 100\n" })).toEqual([
      ["pytest", ["pytest"]],
      ["ruff", ["ruff", "check", "."]],
    ]);
    expect(await detectIn({ "pyproject.toml": "[tool.ruff.lint]\nselect = []\n" })).toContainEqual([
      "ruff",
      ["ruff", "check", "."],
    ]);
    expect(await detectIn({ "setup.cfg": "", "ruff.toml": "" })).toContainEqual([
      "ruff",
      ["ruff", "check", "."],
    ]);
  });

  it("detects a Makefile test target, not look-alikes", async () => {
    expect(await detectIn({ Makefile: "all: build\n\ntest: build\n\tgo test ./...\n" })).toEqual([
      ["make-test", ["make", "test"]],
    ]);
    expect(await detectIn({ Makefile: "check test:\n\t./run\n" })).toEqual([["make-test", ["make", "test"]]]);
    expect(await detectIn({ Makefile: "test := 1\ntest.o: x\n.PHONY: test\n# test:\n" })).toEqual([]);
    expect(await detectIn({ Makefile: "build:\n\ttest: not a rule\n" })).toEqual([]);
  });

  it("combines ecosystems with unique names", async () => {
    const found = await detectIn({
      "package.json": pkg({ test: "vitest" }),
      "go.mod": "module x\n",
      Makefile: "test:\n\tmake -C x\n",
    });
    expect(found.map(([name]) => name)).toEqual(["test", "go-test", "go-vet", "make-test"]);
  });
});

describe("renderGatesToml", () => {
  it("writes a commented file that loads back to the detected gates", async () => {
    await withTempDir("render", async (dir) => {
      await writeFile(join(dir, "package.json"), pkg({ test: "vitest", lint: "biome check" }));
      await writeFile(join(dir, "go.mod"), "module x\n");
      const gates = await detectGates(dir, { env });
      const text = renderGatesToml(gates);
      expect(text).toMatch(/^# /);
      expect(parseGatesToml(text, "gates.toml", { env: { OMK_GATE_TIMEOUT_SECS: "7" } }).gates).toEqual(
        gates,
      );
    });
  });

  it("renders an example when nothing was detected, and it still parses", () => {
    const text = renderGatesToml([]);
    expect(text).toContain("# [[gates]]");
    expect(parseGatesToml(text, "gates.toml").gates).toEqual([]);
  });

  it("round-trips any valid spec, whatever its strings contain", () => {
    const text = fc.string({
      unit: fc.constantFrom("a", " ", '"', "'", "\\", "\n", "\t", "#", "=", "[", "é", "\u007f", "\u0001"),
    });
    const spec: fc.Arbitrary<GateSpec> = fc.record({
      name: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
      command: text.filter((s) => s.length > 0),
      args: fc.array(text, { maxLength: 4 }),
      cwd: fc.constantFrom(".", "packages/api", "src"),
      env: fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), text, {
        maxKeys: 3,
        noNullPrototype: true,
      }),
      required: fc.boolean(),
      allowFail: fc.boolean(),
      skip: fc.boolean(),
      timeoutSecs: fc.integer({ min: 1, max: 86_400 }),
    });
    const specs = fc.uniqueArray(spec, { selector: (s) => s.name, maxLength: 4 });
    fc.assert(
      fc.property(specs, (gates) => {
        expect(parseGatesToml(renderGatesToml(gates), "gates.toml").gates).toEqual(gates);
      }),
    );
  });
});
