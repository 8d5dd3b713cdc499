import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { blobsAt, filesAt } from "../../../src/git/export.js";
import { caught, makeRepo, type TestRepo } from "../../helpers/git-repo.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

// A token shape the redactor replaces: blobsAt must hand it back byte for byte, not as [REDACTED].
const TOKEN = `ghp_${"a1B2c3D4e5".repeat(3)}abcdef`;
const BINARY = Buffer.from([0, 1, 2, 10, 13, 10, 255, 254, 0, 10]);

describe("blobsAt: files at a revision, exactly", () => {
  async function repo(): Promise<TestRepo> {
    const r = await makeRepo({
      "a.toml": "x = 1\r\n",
      "dir/with space.txt": `token = "${TOKEN}"\n`,
      "bin.dat": BINARY,
      "empty.txt": "",
    });
    cleanups.push(r.cleanup);
    symlinkSync("a.toml", join(r.root, "link.toml"));
    r.commitAll("symlink");
    return r;
  }

  it("returns exact bytes and blob ids; missing paths, directories and duplicates are handled", async () => {
    const r = await repo();
    const head = r.git(["rev-parse", "HEAD"]);
    const got = await blobsAt(r.root, head, [
      "a.toml",
      "dir/with space.txt",
      "bin.dat",
      "empty.txt",
      "nope.txt",
      "dir",
      "a.toml",
    ]);
    expect(got.get("a.toml")?.bytes.toString("utf8")).toBe("x = 1\r\n");
    expect(got.get("a.toml")?.oid).toBe(r.git(["rev-parse", `${head}:a.toml`]));
    expect(got.get("dir/with space.txt")?.bytes.toString("utf8")).toBe(`token = "${TOKEN}"\n`);
    expect(got.get("bin.dat")?.bytes.equals(BINARY)).toBe(true);
    expect(got.get("empty.txt")?.bytes.length).toBe(0);
    expect(got.get("nope.txt")).toBeNull();
    expect(got.get("dir")).toBeNull();
    expect(got.size).toBe(6);
  });

  it("reads a symbolic link as the link git stores, never the file it points to", async () => {
    const r = await repo();
    const got = await filesAt(r.root, "HEAD", ["link.toml"]);
    expect(got.get("link.toml")).toBe("a.toml");
  });

  it("reads the revision asked for, not the work tree", async () => {
    const r = await repo();
    const first = r.git(["rev-list", "--max-parents=0", "HEAD"]);
    r.write({ "a.toml": "x = 2\n" });
    r.commitAll("change");
    r.write({ "a.toml": "x = 3 (uncommitted)\n" });
    expect((await filesAt(r.root, first, ["a.toml", "link.toml"])).get("a.toml")).toBe("x = 1\r\n");
    expect((await filesAt(r.root, first, ["link.toml"])).get("link.toml")).toBeNull();
    expect((await filesAt(r.root, "HEAD", ["a.toml"])).get("a.toml")).toBe("x = 2\n");
  });

  it("refuses a path a batch line cannot carry, and a revision that looks like an option", async () => {
    const r = await repo();
    expect((await caught(blobsAt(r.root, "HEAD", ["a\nb"]))).code).toBe("USAGE");
    expect((await caught(blobsAt(r.root, "--all", ["a.toml"]))).code).toBe("USAGE");
  });
});
