import { createHash, randomBytes } from "node:crypto";
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stageAndDiff } from "../../../src/git/diff.js";
import { applyPatch, diffWithPatch, treePatchBytes, writePatch } from "../../../src/git/patch.js";
import { diffTrees } from "../../../src/git/snapshot.js";
import { addWorktree } from "../../../src/git/worktree.js";
import { makeRepo, makeTempDir, type TestRepo } from "../../helpers/git-repo.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** PNG signature + IHDR header: NUL bytes make git treat it as binary. */
function pngLike(size = 300): Buffer {
  const header = Buffer.from([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52,
  ]);
  return Buffer.concat([header, randomBytes(size)]);
}

const RENAMED_BODY = Array.from({ length: 20 }, (_, i) => `line ${i} of a file that will be renamed\n`).join(
  "",
);
// Built at runtime: a GitHub-token-shaped value that the output redactor would rewrite if it saw it.
const TOKEN_SHAPED = `ghp_${"A1b2C3d4E5".repeat(3)}abcdef`;

async function setup(): Promise<{ r: TestRepo; base: string; wt: string }> {
  const r = await makeRepo({
    "keep.txt": "unchanged\n",
    "modify.txt": "one\ntwo\nthree\n",
    "delete.txt": "bye\n",
    "rename me.txt": RENAMED_BODY,
    "script.sh": "#!/bin/sh\necho hi\n",
  });
  cleanups.push(r.cleanup);
  const base = r.git(["rev-parse", "HEAD"]);
  const wt = join(r.root, ".omk", "worktrees", "run-a");
  await addWorktree(r.root, wt, "omk/run/a", base);
  return { r, base, wt };
}

function change(r: TestRepo, wt: string): void {
  r.write(
    {
      "modify.txt": "one\n2\nthree\nfour\n",
      "dir with space/ünïcödé 文件.txt": "héllo\n",
      "image.png": pngLike(),
      "config.env": `TOKEN=${TOKEN_SHAPED}\n`,
      "renamed/moved.txt": RENAMED_BODY,
    },
    wt,
  );
  rmSync(join(wt, "delete.txt"));
  rmSync(join(wt, "rename me.txt"));
  chmodSync(join(wt, "script.sh"), 0o755);
}

describe("stageAndDiff", () => {
  it("stages everything and describes add/modify/delete/rename/binary/mode changes", async () => {
    const { r, base, wt } = await setup();
    change(r, wt);
    const diff = await stageAndDiff(wt, base);
    const byPath = new Map(diff.files.map((f) => [f.path, f]));
    expect(byPath.get("modify.txt")).toEqual({
      path: "modify.txt",
      status: "M",
      added: 2,
      deleted: 1,
      binary: false,
    });
    expect(byPath.get("delete.txt")).toEqual({
      path: "delete.txt",
      status: "D",
      added: 0,
      deleted: 1,
      binary: false,
    });
    expect(byPath.get("renamed/moved.txt")).toEqual({
      path: "renamed/moved.txt",
      oldPath: "rename me.txt",
      status: "R",
      added: 0,
      deleted: 0,
      binary: false,
    });
    expect(byPath.get("image.png")).toEqual({
      path: "image.png",
      status: "A",
      added: null,
      deleted: null,
      binary: true,
    });
    expect(byPath.get("dir with space/ünïcödé 文件.txt")).toMatchObject({
      status: "A",
      added: 1,
      deleted: 0,
    });
    expect(byPath.get("script.sh")).toEqual({
      path: "script.sh",
      status: "M",
      added: 0,
      deleted: 0,
      binary: false,
    });
    expect(byPath.has("keep.txt")).toBe(false);
    expect(diff.files.length).toBe(7);
    expect(diff.added).toBe(2 + 1 + 1);
    expect(diff.deleted).toBe(1 + 1);
    // Everything is staged: nothing left in the worktree that the diff did not see.
    expect(r.git(["diff", "--name-only"], wt)).toBe("");
    expect(r.git(["ls-files", "--others", "--exclude-standard"], wt)).toBe("");
  });

  it("is empty when nothing changed", async () => {
    const { base, wt } = await setup();
    expect(await stageAndDiff(wt, base)).toEqual({ files: [], added: 0, deleted: 0 });
  });
});

describe("writePatch / applyPatch", () => {
  it("round-trips onto a fresh worktree to the identical tree, bytes unredacted", async () => {
    const { r, base, wt } = await setup();
    change(r, wt);
    await stageAndDiff(wt, base);
    const expectedTree = r.git(["write-tree"], wt);

    const out = join(makeTempDir(), "artifacts", "attempt-1.patch");
    cleanups.push(async () => rmSync(join(out, "..", ".."), { recursive: true, force: true }));
    const written = await writePatch(wt, base, out);
    const bytes = readFileSync(out);
    expect(written).toEqual({
      sha256: createHash("sha256").update(bytes).digest("hex"),
      bytes: bytes.length,
    });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(bytes.toString("utf8")).toContain(TOKEN_SHAPED);
    expect(bytes.toString("utf8")).toContain("GIT binary patch");

    const fresh = join(r.root, ".omk", "worktrees", "run-b");
    await addWorktree(r.root, fresh, "omk/run/b", base);
    await applyPatch(fresh, out);
    expect(r.git(["write-tree"], fresh)).toBe(expectedTree);
    expect(readFileSync(join(fresh, "image.png"))).toEqual(readFileSync(join(wt, "image.png")));
    expect(statSync(join(fresh, "script.sh")).mode & 0o111).not.toBe(0);
  });

  it("writes an empty patch for no change, which applies as a no-op", async () => {
    const { r, base, wt } = await setup();
    const out = join(wt, "..", "empty.patch");
    expect(await writePatch(wt, base, out)).toEqual({
      sha256: createHash("sha256").update("").digest("hex"),
      bytes: 0,
    });
    const before = r.git(["write-tree"], wt);
    await applyPatch(wt, out);
    expect(r.git(["write-tree"], wt)).toBe(before);
  });

  it("fails without touching the worktree when the patch does not apply", async () => {
    const { r, base, wt } = await setup();
    r.write({ "modify.txt": "one\n2\nthree\n" }, wt);
    await stageAndDiff(wt, base);
    const out = join(wt, "..", "p.patch");
    await writePatch(wt, base, out);

    const other = join(r.root, ".omk", "worktrees", "other");
    await addWorktree(r.root, other, "omk/run/other", base);
    writeFileSync(join(other, "modify.txt"), "completely different\n");
    r.git(["add", "-A"], other);
    const treeBefore = r.git(["write-tree"], other);
    await expect(applyPatch(other, out)).rejects.toMatchObject({
      code: "GIT_FAILED",
      message: expect.stringMatching(/git apply failed .*modify\.txt/s),
    });
    expect(r.git(["write-tree"], other)).toBe(treeBefore);
    expect(readFileSync(join(other, "modify.txt"), "utf8")).toBe("completely different\n");
  });
});

describe("diffWithPatch", () => {
  it("gives exactly diffTrees' records and treePatchBytes' bytes, from one git process", async () => {
    const { r, base, wt } = await setup();
    change(r, wt);
    // A secret-shaped file name: the records are redacted as every git output is, the patch is not.
    r.write({ [`keys/${TOKEN_SHAPED}.txt`]: "x\n" }, wt);
    r.git(["add", "-A"], wt);
    const tree = r.git(["write-tree"], wt);
    const both = await diffWithPatch(wt, base, tree);
    expect(JSON.stringify(both.diff)).not.toContain(TOKEN_SHAPED);
    expect(both.diff).toEqual(await diffTrees(wt, base, tree));
    const alone = await treePatchBytes(wt, base, tree);
    expect(alone).not.toBeNull();
    expect(both.patch?.equals(alone!)).toBe(true);
    // The patch is bytes as git wrote them: the token-shaped value is in it, unredacted.
    expect(both.patch?.toString("utf8")).toContain(TOKEN_SHAPED);
    expect(both.diff.files.map((f) => f.path)).toContain("dir with space/ünïcödé 文件.txt");
  });

  it("is empty, with an empty patch, when the trees are the same", async () => {
    const { r, base, wt } = await setup();
    const tree = r.git(["rev-parse", `${base}^{tree}`]);
    const both = await diffWithPatch(wt, base, tree);
    expect(both.diff).toEqual({ files: [], added: 0, deleted: 0 });
    expect(both.patch?.length).toBe(0);
  });
});
