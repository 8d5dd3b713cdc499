import { chmod, mkdir, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findExecutable } from "../../../src/agents/executable.js";
import { adapterNames, getAdapter } from "../../../src/agents/registry.js";
import { OmkError } from "../../../src/core/errors.js";
import { type TempDir, tempDir } from "./fake-kimi-helpers.js";

describe("findExecutable", () => {
  let tmp: TempDir;
  beforeEach(async () => {
    tmp = await tempDir();
    await mkdir(join(tmp.dir, "bin"));
    await mkdir(join(tmp.dir, "other"));
    await writeFile(join(tmp.dir, "bin", "tool"), "#!/bin/sh\n");
    await chmod(join(tmp.dir, "bin", "tool"), 0o755);
    await writeFile(join(tmp.dir, "other", "tool"), "not executable");
    await writeFile(join(tmp.dir, "other", "plain"), "not executable");
    await mkdir(join(tmp.dir, "other", "dir"));
  });
  afterEach(async () => {
    await tmp.cleanup();
  });

  it("searches absolute PATH entries in order and skips non-executables", () => {
    const path = [join(tmp.dir, "other"), "relative/bin", join(tmp.dir, "bin")].join(delimiter);
    expect(findExecutable("tool", path, "/")).toBe(join(tmp.dir, "bin", "tool"));
    expect(findExecutable("plain", path, "/")).toBeNull();
    expect(findExecutable("dir", path, "/")).toBeNull();
    expect(findExecutable("tool", undefined, "/")).toBeNull();
    expect(findExecutable("", path, "/")).toBeNull();
  });

  it("resolves a path relative to the base dir, not PATH", () => {
    expect(findExecutable("bin/tool", "", tmp.dir)).toBe(join(tmp.dir, "bin", "tool"));
    expect(findExecutable("./bin/tool", "", tmp.dir)).toBe(join(tmp.dir, "bin", "tool"));
    expect(findExecutable("other/tool", join(tmp.dir, "bin"), tmp.dir)).toBeNull();
  });
});

describe("agent registry", () => {
  it("knows kimi and exec", async () => {
    expect((await getAdapter("kimi")).name).toBe("kimi");
    expect((await getAdapter("exec")).name).toBe("exec");
    expect(adapterNames()).toEqual(expect.arrayContaining(["kimi", "exec"]));
  });

  it("rejects unknown names as a usage error that lists the adapters", async () => {
    for (const name of ["claud", "toString", "__proto__"]) {
      let error: unknown;
      try {
        await getAdapter(name);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OmkError);
      expect((error as OmkError).code).toBe("USAGE");
      expect((error as OmkError).hint).toMatch(/kimi, exec/);
    }
  });
});
