import { readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InPlaceRecord, padRecord } from "../../../src/store/in-place-record.js";
import { tempDir } from "./tmp-dir.js";

describe("InPlaceRecord", () => {
  it("overwrites one file (same inode) with records padded to a fixed size that JSON readers parse", async () => {
    const file = join(await tempDir(), "r.json");
    writeFileSync(file, '{"n":0}\n');
    const inode = statSync(file).ino;
    const r = InPlaceRecord.open(file, 64);
    for (const n of [1, 22, 333, 4]) {
      r.write(JSON.stringify({ n, s: "é".repeat(n % 7) }));
      const text = readFileSync(file, "utf8");
      expect(Buffer.byteLength(text)).toBe(64);
      expect(text.endsWith("\n")).toBe(true);
      expect(JSON.parse(text)).toEqual({ n, s: "é".repeat(n % 7) });
    }
    r.close();
    expect(statSync(file).ino).toBe(inode);
  });

  it("keeps a record longer than the size whole, and leaves no tail of it behind the next one", async () => {
    const file = join(await tempDir(), "r.json");
    writeFileSync(file, "");
    const r = InPlaceRecord.open(file, 32);
    r.write(JSON.stringify({ long: "x".repeat(100) }));
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ long: "x".repeat(100) });
    r.write(JSON.stringify({ short: 1 }));
    expect(readFileSync(file, "utf8")).toBe(padRecord('{"short":1}', 32));
    r.close();
    r.write("ignored after close");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ short: 1 });
  });

  it("refuses to open through a symlink, so writes never land in the file it points to", async () => {
    const dir = await tempDir();
    const victim = join(dir, "victim");
    writeFileSync(victim, "precious\n");
    symlinkSync(victim, join(dir, "r.json"));
    expect(() => InPlaceRecord.open(join(dir, "r.json"), 64)).toThrow();
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
  });
});
