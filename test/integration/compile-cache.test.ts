import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { omk } from "../helpers/cli.js";

/** Node ≥ 22.1 has module.enableCompileCache; omk keeps that cache in its own cache dir. */
const hasCompileCache = (() => {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  return major > 22 || (major === 22 && minor >= 1);
})();

describe("the compile cache", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("lives in omk's cache dir where Node supports it, and nowhere on Node 20", async () => {
    const dir = mkdtempSync(join(tmpdir(), "omk-cc-"));
    dirs.push(dir);
    const env = {
      XDG_CACHE_HOME: join(dir, "cache"),
      NODE_COMPILE_CACHE: undefined,
      NODE_DISABLE_COMPILE_CACHE: undefined,
    };
    const r = await omk(["--help"], { cwd: dir, env });
    expect(r.code).toBe(0);
    const cache = join(dir, "cache", "omk", "node-compile-cache");
    if (hasCompileCache) {
      expect(readdirSync(cache).length).toBeGreaterThan(0);
      // A second command reads it and still works.
      expect((await omk(["--help"], { cwd: dir, env })).stdout).toBe(r.stdout);
    } else {
      expect(existsSync(cache)).toBe(false);
    }
  });

  it("is off with NODE_DISABLE_COMPILE_CACHE", async () => {
    const dir = mkdtempSync(join(tmpdir(), "omk-cc-"));
    dirs.push(dir);
    const env = { XDG_CACHE_HOME: join(dir, "cache"), NODE_DISABLE_COMPILE_CACHE: "1" };
    expect((await omk(["--help"], { cwd: dir, env })).code).toBe(0);
    expect(existsSync(join(dir, "cache", "omk", "node-compile-cache"))).toBe(false);
  });
});
