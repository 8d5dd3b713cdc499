import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { OmkError } from "../../../src/core/errors.js";
import {
  ensurePrivateDir,
  readJsonFile,
  writePrivateFile,
  writePrivateJson,
} from "../../../src/store/private-fs.js";
import { tempDir, withUmask0 } from "./tmp-dir.js";

async function mode(p: string): Promise<number> {
  return (await stat(p)).mode & 0o777;
}

describe("ensurePrivateDir", () => {
  it("creates every missing level 0700 even with umask 0, leaving existing ancestors alone", async () => {
    const root = await tempDir();
    await chmod(root, 0o755);
    const leaf = path.join(root, "a", "b", "c");
    await withUmask0(() => ensurePrivateDir(leaf));
    expect(await mode(root)).toBe(0o755);
    for (const d of ["a", "a/b", "a/b/c"]) expect(await mode(path.join(root, d))).toBe(0o700);
  });

  it("tightens an existing leaf", async () => {
    const root = await tempDir();
    const leaf = path.join(root, "open");
    await mkdir(leaf, { mode: 0o777 });
    await withUmask0(() => chmod(leaf, 0o777));
    await ensurePrivateDir(leaf);
    expect(await mode(leaf)).toBe(0o700);
  });

  it("reports a path it cannot create as IO_FAILED naming the path", async () => {
    const root = await tempDir();
    const file = path.join(root, "file");
    await writeFile(file, "x");
    const err = await ensurePrivateDir(path.join(file, "sub")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OmkError);
    expect((err as OmkError).code).toBe("IO_FAILED");
    expect((err as OmkError).message).toContain(path.join(file, "sub"));
  });
});

describe("writePrivateFile", () => {
  it("writes 0600 files in 0700 dirs with umask 0", async () => {
    const root = await tempDir();
    const file = path.join(root, "new", "secret.txt");
    await withUmask0(() => writePrivateFile(file, "hello"));
    expect(await readFile(file, "utf8")).toBe("hello");
    expect(await mode(file)).toBe(0o600);
    expect(await mode(path.dirname(file))).toBe(0o700);
  });

  it("turns an existing 0644 file into 0600", async () => {
    const root = await tempDir();
    const file = path.join(root, "old.txt");
    await withUmask0(async () => {
      await writeFile(file, "old", { mode: 0o644 });
      expect(await mode(file)).toBe(0o644);
      await writePrivateFile(file, new Uint8Array([0x6e, 0x65, 0x77]));
    });
    expect(await readFile(file, "utf8")).toBe("new");
    expect(await mode(file)).toBe(0o600);
  });

  it("writes bytes of a Uint8Array view, not its whole buffer", async () => {
    const root = await tempDir();
    const file = path.join(root, "slice.bin");
    const whole = new Uint8Array([1, 2, 3, 4, 5]);
    await writePrivateFile(file, whole.subarray(1, 3));
    expect([...(await readFile(file))]).toEqual([2, 3]);
  });
});

describe("JSON files", () => {
  const Schema = z.object({ name: z.string(), n: z.number() });

  it("round-trips pretty JSON with a trailing newline", async () => {
    const root = await tempDir();
    const file = path.join(root, "x.json");
    await writePrivateJson(file, { name: "a", n: 1 });
    expect(await readFile(file, "utf8")).toBe('{\n  "name": "a",\n  "n": 1\n}\n');
    expect(await readJsonFile(file, Schema)).toEqual({ name: "a", n: 1 });
  });

  it("missing file → IO_FAILED with the path", async () => {
    const file = path.join(await tempDir(), "nope.json");
    await expect(readJsonFile(file, Schema)).rejects.toMatchObject({ code: "IO_FAILED" });
    await expect(readJsonFile(file, Schema)).rejects.toThrow(file);
  });

  it("invalid JSON → CONFIG_INVALID with the path and without echoing the content", async () => {
    const file = path.join(await tempDir(), "bad.json");
    await writeFile(file, '{"name": hunter2-password}');
    const err = (await readJsonFile(file, Schema).catch((e: unknown) => e)) as OmkError;
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.message).toContain(file);
    expect(err.message).not.toContain("hunter2");
  });

  it("wrong shape → CONFIG_INVALID naming the field", async () => {
    const file = path.join(await tempDir(), "shape.json");
    await writeFile(file, '{"name": 3, "n": 1}');
    const err = (await readJsonFile(file, Schema).catch((e: unknown) => e)) as OmkError;
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.message).toContain(file);
    expect(err.message).toContain("name");
  });

  it("refuses a value JSON cannot represent", async () => {
    const file = path.join(await tempDir(), "u.json");
    await expect(writePrivateJson(file, undefined)).rejects.toMatchObject({ code: "INTERNAL" });
  });
});
