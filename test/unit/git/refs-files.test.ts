import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listRefs } from "../../../src/git/refs.js";
import { readRefsFromFiles } from "../../../src/git/refs-files.js";
import { makeRepo, type TestRepo } from "../../helpers/git-repo.js";

const repos: TestRepo[] = [];
afterEach(async () => {
  await Promise.all(repos.splice(0).map((r) => r.cleanup()));
});

async function repoWithRefs(): Promise<TestRepo> {
  const r = await makeRepo({ "a.txt": "a\n" });
  repos.push(r);
  r.git(["branch", "feature/x"]);
  r.git(["tag", "light"]);
  r.git(["tag", "-a", "-m", "annotated", "v1"]);
  r.git(["pack-refs", "--all"]);
  r.write({ "a.txt": "b\n" });
  r.commitAll("second");
  // Loose over packed, a new loose branch, and a symbolic ref as `git clone` leaves one.
  r.git(["branch", "-f", "feature/x"]);
  r.git(["branch", "loose/only"]);
  r.git(["update-ref", "refs/remotes/origin/main", "HEAD"]);
  r.git(["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"]);
  return r;
}

describe("refs read from their files", () => {
  it("lists what git for-each-ref lists: packed, loose over packed, annotated tags, symbolic refs", async () => {
    const r = await repoWithRefs();
    const fromGit = await listRefs(r.root);
    expect(fromGit.length).toBeGreaterThanOrEqual(6);
    expect(readRefsFromFiles(join(r.root, ".git"))).toEqual(fromGit);
  });

  it("sees a planted file and a FIFO without hanging or keeping their content", async () => {
    const r = await repoWithRefs();
    const refs = join(r.root, ".git", "refs", "heads");
    mkdirSync(join(refs, "odd"), { recursive: true });
    writeFileSync(join(refs, "odd", "note"), "AKIA-not-a-ref-at-all\n");
    execFileSync("mkfifo", [join(refs, "odd", "pipe")]);
    const listed = readRefsFromFiles(join(r.root, ".git"));
    const odd = listed?.filter((x) => x.name.startsWith("refs/heads/odd/")) ?? [];
    expect(odd.map((x) => x.name)).toEqual(["refs/heads/odd/note", "refs/heads/odd/pipe"]);
    expect(JSON.stringify(odd)).not.toContain("AKIA");
  });

  it("leaves a reftable repository to git", async () => {
    const r = await repoWithRefs();
    mkdirSync(join(r.root, ".git", "reftable"));
    expect(readRefsFromFiles(join(r.root, ".git"))).toBeNull();
  });
});
