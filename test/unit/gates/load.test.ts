import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OmkError } from "../../../src/core/errors.js";
import { loadGatesFile, parseGatesToml } from "../../../src/gates/load.js";
import { withTempDir } from "../proc/support.js";

const FILE = ".omk/gates.toml";

/** Parses and returns the CONFIG_INVALID error, failing the test if there is none. */
function configError(text: string, env: Record<string, string> = {}): OmkError {
  try {
    parseGatesToml(text, FILE, { env });
  } catch (error) {
    expect(error).toBeInstanceOf(OmkError);
    expect((error as OmkError).code).toBe("CONFIG_INVALID");
    return error as OmkError;
  }
  throw new Error("expected CONFIG_INVALID");
}

describe("parseGatesToml", () => {
  it("applies defaults and maps snake_case keys", () => {
    const text = [
      "[[gates]]",
      'name = "test"',
      'command = "npm"',
      'args = ["run", "test"]',
      "",
      "[[gates]]",
      'name = "lint.strict"',
      'command = "biome"',
      'cwd = "packages/api"',
      "required = false",
      "allow_fail = true",
      "skip = true",
      "timeout_secs = 90",
      "[gates.env]",
      'NODE_ENV = "test"',
    ].join("\n");
    const { gates } = parseGatesToml(text, FILE, { env: { OMK_GATE_TIMEOUT_SECS: "123" } });
    expect(gates).toEqual([
      {
        name: "test",
        command: "npm",
        args: ["run", "test"],
        cwd: ".",
        env: {},
        required: true,
        allowFail: false,
        skip: false,
        timeoutSecs: 123,
      },
      {
        name: "lint.strict",
        command: "biome",
        args: [],
        cwd: "packages/api",
        env: { NODE_ENV: "test" },
        required: false,
        allowFail: true,
        skip: true,
        timeoutSecs: 90,
      },
    ]);
  });

  it("accepts a file without gates", () => {
    expect(parseGatesToml("# nothing yet\n", FILE).gates).toEqual([]);
  });

  it("names file, line and column of a TOML syntax error", () => {
    const error = configError('[[gates]]\nname = "a"\ntimeout_secs = = 3\n');
    expect(error.message).toContain(`${FILE}:3:`);
    expect(error.message).toMatch(/syntax/i);
    expect(error.hint).toMatch(/line 3/);
    expect(error.details).toMatchObject({ file: FILE, line: 3 });
  });

  it("points at the offending key for an out-of-range timeout and says how to fix it", () => {
    const text = [
      "# gates",
      "[[gates]]",
      'name = "ok"',
      'command = "true"',
      "",
      "[[gates]]",
      'name = "slow"',
      'command = "make"',
      "  timeout_secs = 0",
    ].join("\n");
    const error = configError(text);
    expect(error.message).toContain(`${FILE}:9:3: gates[1].timeout_secs`);
    expect(error.hint).toContain("timeout_secs must be an integer between 1 and 86400");
    expect(error.details).toMatchObject({ line: 9, column: 3 });
  });

  it("rejects a fractional timeout at its line", () => {
    const error = configError('[[gates]]\nname = "a"\ncommand = "x"\ntimeout_secs = 1.5\n');
    expect(error.message).toContain(`${FILE}:4:1: gates[0].timeout_secs`);
  });

  it("points at the [[gates]] header when a required key is missing", () => {
    const error = configError('[[gates]]\nname = "a"\ncommand = "x"\n\n[[gates]] # second\nname = "b"\n');
    expect(error.message).toContain(`${FILE}:5:1: gates[1].command: missing`);
  });

  it("rejects unknown keys, inside a gate and at the top level", () => {
    const inGate = configError('[[gates]]\nname = "a"\ncommand = "x"\nshell = true\n');
    expect(inGate.message).toContain(`${FILE}:4:1: gates[0].shell: unknown key "shell"`);
    expect(inGate.hint).toMatch(/known gate keys: .*timeout_secs/);
    const topLevel = configError('version = 2\n[[gates]]\nname = "a"\ncommand = "x"\n');
    expect(topLevel.message).toContain(`${FILE}:1:1: version: unknown key "version"`);
  });

  it("rejects duplicate names at the second one", () => {
    const error = configError('[[gates]]\nname = "t"\ncommand = "a"\n[[gates]]\nname = "t"\ncommand = "b"\n');
    expect(error.message).toContain(`${FILE}:5:1: gates[1].name: duplicate gate name "t"`);
  });

  it.each([
    ["bad name", 'name = "-leading-dash"', "name"],
    ["name with slash", 'name = "a/b"', "name"],
    ["escaping cwd", 'cwd = "../outside"', "cwd"],
    ["absolute cwd", 'cwd = "/etc"', "cwd"],
    [".git cwd", 'cwd = ".git/hooks"', "cwd"],
    ["args not strings", "args = [1, 2]", "args"],
    ["empty command", 'command = ""', "command"],
    ["bad env name", 'env = { "A-B" = "x" }', "env"],
  ])("rejects %s", (_label, line, key) => {
    const withName = line.startsWith("name") ? line : 'name = "g"';
    const withCommand = line.startsWith("command") ? line : 'command = "x"';
    const extra = line.startsWith("name") || line.startsWith("command") ? [] : [line];
    const error = configError(["[[gates]]", withName, withCommand, ...extra].join("\n"));
    expect(error.message).toContain(`gates[0].${key}`);
    expect(error.message).toMatch(new RegExp(`${FILE.replaceAll(".", "\\.")}:[234]:`));
  });

  it("lists several problems, each with its line", () => {
    const error = configError('[[gates]]\nname = "a"\ncommand = "x"\nskip = "yes"\nrequired = 3\n');
    expect(error.message).toContain(`${FILE}:4:1: gates[0].skip`);
    expect(error.message).toContain(`${FILE}:5:1: gates[0].required`);
    expect(error.hint).toContain("skip must be true or false");
    expect(error.details?.["issues"]).toHaveLength(2);
  });
});

describe("loadGatesFile", () => {
  it("returns a typed 'no gates file' result when the file is missing", async () => {
    await withTempDir("gates-missing", async (dir) => {
      const path = join(dir, ".omk", "gates.toml");
      expect(await loadGatesFile(path)).toEqual({ found: false, path });
    });
  });

  it("loads a file from disk and names it in errors", async () => {
    await withTempDir("gates-load", async (dir) => {
      await mkdir(join(dir, ".omk"));
      const path = join(dir, ".omk", "gates.toml");
      await writeFile(path, '[[gates]]\nname = "t"\ncommand = "npm"\nargs = ["test"]\n');
      const loaded = await loadGatesFile(path);
      expect(loaded.found).toBe(true);
      if (loaded.found) expect(loaded.config.gates.map((g) => g.name)).toEqual(["t"]);
      await writeFile(path, '[[gates]]\nname = "t"\n');
      await expect(loadGatesFile(path)).rejects.toMatchObject({
        code: "CONFIG_INVALID",
        message: expect.stringContaining(`${path}:1:1: gates[0].command`),
      });
    });
  });
});
