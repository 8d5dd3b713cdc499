import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readRegularFileSync } from "../../../src/core/fs.js";
import { makeTempDir } from "../../helpers/git-repo.js";

describe("readRegularFileSync", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const dir = () => {
    const d = makeTempDir("omk-fs-");
    dirs.push(d);
    return d;
  };

  it("reads a regular file whole, and says missing when nothing is there", () => {
    const d = dir();
    writeFileSync(join(d, "f"), "ref: refs/heads/main\n");
    writeFileSync(join(d, "empty"), "");
    const r = readRegularFileSync(join(d, "f"), 1024);
    expect(r.kind === "file" && r.data.toString("utf8")).toBe("ref: refs/heads/main\n");
    const e = readRegularFileSync(join(d, "empty"), 1024);
    expect(e.kind === "file" && e.data.length).toBe(0);
    expect(readRegularFileSync(join(d, "none"), 1024)).toEqual({ kind: "missing" });
    expect(readRegularFileSync(join(d, "f", "under-a-file"), 1024)).toEqual({ kind: "missing" });
  });

  it("never follows a symlink, never waits on a FIFO, and reads nothing larger than asked", () => {
    const d = dir();
    writeFileSync(join(d, "target"), "secret\n");
    symlinkSync(join(d, "target"), join(d, "link"));
    // Opening a FIFO for reading without O_NONBLOCK waits for a writer: this test would hang.
    execFileSync("mkfifo", [join(d, "pipe")]);
    mkdirSync(join(d, "sub"));
    writeFileSync(join(d, "big"), "x".repeat(2000));
    expect(readRegularFileSync(join(d, "link"), 1024)).toEqual({ kind: "other", detail: "symlink" });
    expect(readRegularFileSync(join(d, "pipe"), 1024)).toMatchObject({ kind: "other", detail: /^mode 1/ });
    expect(readRegularFileSync(join(d, "sub"), 1024)).toMatchObject({ kind: "other", detail: /^mode 4/ });
    expect(readRegularFileSync(join(d, "big"), 1024)).toMatchObject({ kind: "other", detail: /^2000 bytes/ });
  });
});
