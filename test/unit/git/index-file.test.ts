import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { gitlinksInIndexFile, parseGitlinks } from "../../../src/git/index-file.js";
import { makeRepo, type TestRepo } from "../../helpers/git-repo.js";

const repos: TestRepo[] = [];
afterEach(async () => {
  await Promise.all(repos.splice(0).map((r) => r.cleanup()));
});

/** What git itself says: the mode-160000 paths of `git ls-files --stage`. */
function gitlinksByGit(r: TestRepo): string[] {
  return r
    .git(["ls-files", "--stage", "-z"])
    .split("\0")
    .filter((l) => l.startsWith("160000 "))
    .map((l) => l.slice(l.indexOf("\t") + 1));
}

async function repoWithGitlinks(): Promise<TestRepo> {
  // A name past 4095 bytes (the index's 12-bit length field), recorded without a file on disk.
  const long = `${"d".repeat(60)}/`.repeat(70);
  const r = await makeRepo({ "a.txt": "a\n", "z/last.txt": "z\n" });
  repos.push(r);
  const head = r.git(["rev-parse", "HEAD"]);
  // Gitlinks as `git submodule add` records them, one of them with a name past 4095 bytes.
  for (const p of ["libs/one", `${long}sub`, "ünïcode dir/two"])
    r.git(["update-index", "--add", "--cacheinfo", `160000,${head},${p}`]);
  r.git(["commit", "-q", "-m", "gitlinks"]);
  return r;
}

describe("gitlinks read from the index file", () => {
  it("finds what git ls-files finds, in versions 2 and 3", async () => {
    const r = await repoWithGitlinks();
    const index = join(r.root, ".git", "index");
    const expected = gitlinksByGit(r);
    expect(expected).toHaveLength(3);
    expect(await gitlinksInIndexFile(index, 20)).toEqual(expected);
    // An intent-to-add entry needs the extended flags: git writes version 3.
    r.write({ "new.txt": "n\n" });
    r.git(["add", "-N", "new.txt"]);
    expect(readFileSync(index).readUInt32BE(4)).toBe(3);
    expect(await gitlinksInIndexFile(index, 20)).toEqual(gitlinksByGit(r));
  });

  it("leaves version 4, split and sparse indexes and broken files to git", async () => {
    const r = await repoWithGitlinks();
    const index = join(r.root, ".git", "index");
    const v2 = readFileSync(index);
    r.git(["update-index", "--index-version", "4"]);
    expect(await gitlinksInIndexFile(index, 20)).toBeNull();
    r.git(["update-index", "--index-version", "2"]);
    r.git(["update-index", "--split-index"]);
    expect(await gitlinksInIndexFile(index, 20)).toBeNull();
    expect(parseGitlinks(v2.subarray(0, v2.length - 30), 20)).toBeNull();
    expect(parseGitlinks(Buffer.from("not an index at all, not at all"), 20)).toBeNull();
    // The wrong object-id length never yields an answer.
    expect(parseGitlinks(v2, 32)).toBeNull();
    expect(await gitlinksInIndexFile(join(r.root, "missing"), 20)).toBeNull();
  });
});
