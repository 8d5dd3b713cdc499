import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listRefs } from "../../../src/git/refs.js";
import {
  branchCommitFromFiles,
  headCommitFromFiles,
  readRefsFromFiles,
} from "../../../src/git/refs-files.js";
import { commitsSince } from "../../../src/git/snapshot.js";
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

  it("does not read loose refs under a skipped prefix (the runs' own branches); the rest are as git lists them", async () => {
    const r = await repoWithRefs();
    for (let i = 0; i < 3; i++) r.git(["branch", `omk/run/run-${i}`]);
    r.git(["branch", "omk/other"]);
    const run = join(r.root, ".git", "refs", "heads", "omk", "run");
    writeFileSync(join(run, "planted"), "not a ref\n");
    const skip = ["refs/heads/omk/run/"];
    const fromGit = (await listRefs(r.root)).filter((x) => !x.name.startsWith(skip[0]!));
    const listed = readRefsFromFiles(join(r.root, ".git"), skip);
    expect(listed).toEqual(fromGit);
    expect(listed?.map((x) => x.name)).toContain("refs/heads/omk/other");
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

  it("looks up one branch as git does: loose, packed, missing, a prefix of others", async () => {
    const r = await repoWithRefs();
    const byGit = (name: string) => {
      try {
        return r.git(["show-ref", "--verify", "--hash", `refs/heads/${name}`]).trim();
      } catch {
        return null;
      }
    };
    r.git(["branch", "omk/run/a"]);
    for (const name of ["main", "feature/x", "loose/only", "omk/run/a", "omk/run", "omk", "nope"]) {
      expect(await branchCommitFromFiles(r.root, name), name).toBe(byGit(name));
    }
    // Names whose file path would not be the ref's, and symbolic refs, are left to git.
    for (const name of ["../config", "a/../b", "/main", "a//b", ".hidden", "x.lock", "x/"])
      expect(branchCommitFromFiles(r.root, name), name).toBeUndefined();
    r.git(["symbolic-ref", "refs/heads/alias", "refs/heads/main"]);
    expect(branchCommitFromFiles(r.root, "alias")).toBeUndefined();
  });

  it("reads HEAD as git does: a branch (loose, packed, unborn), a detached commit; a FIFO is never opened", async () => {
    const r = await repoWithRefs();
    const wt = join(r.root, "..", `${r.root.split("/").pop()}-wt`);
    r.git(["worktree", "add", "-q", "-b", "lane", wt, "HEAD~1"]);
    const byGit = (dir: string) => r.git(["-C", dir, "rev-parse", "HEAD"]).trim();
    expect(headCommitFromFiles(r.root)).toBe(byGit(r.root));
    expect(headCommitFromFiles(wt)).toBe(byGit(wt));
    r.git(["pack-refs", "--all"]);
    expect(headCommitFromFiles(wt)).toBe(byGit(wt));
    r.git(["-C", wt, "checkout", "-q", "--detach", "main"]);
    expect(headCommitFromFiles(wt)).toBe(byGit(r.root));
    r.git(["-C", wt, "checkout", "-q", "--orphan", "unborn"]);
    expect(headCommitFromFiles(wt)).toBeNull();
    // Anything else goes to git: a symbolic ref outside refs/heads, a HEAD that is not a file.
    r.git(["-C", wt, "symbolic-ref", "HEAD", "refs/remotes/origin/main"]);
    expect(headCommitFromFiles(wt)).toBeUndefined();
    const head = join(r.root, ".git", "worktrees", wt.split("/").pop() as string, "HEAD");
    rmSync(head);
    execFileSync("mkfifo", [head]);
    expect(headCommitFromFiles(wt)).toBeUndefined();
    rmSync(wt, { recursive: true, force: true });
    r.git(["worktree", "prune"]);
  });

  it("the agent's own commits: none without a git process when HEAD is still the base, else git's list", async () => {
    const r = await repoWithRefs();
    const base = r.git(["rev-parse", "HEAD"]).trim();
    // No git on PATH: a git process would fail to start.
    const path = process.env.PATH;
    process.env.PATH = join(r.root, "no-such-dir");
    try {
      expect(await commitsSince(r.root, base, "HEAD")).toEqual([]);
      await expect(commitsSince(r.root, `${base.slice(0, 12)}`, "HEAD")).rejects.toThrow(/could not run git/);
    } finally {
      process.env.PATH = path;
    }
    r.write({ "b.txt": "b\n" });
    r.commitAll("agent commit");
    const head = r.git(["rev-parse", "HEAD"]).trim();
    expect(await commitsSince(r.root, base, "HEAD")).toEqual([{ commit: head, subject: "agent commit" }]);
    // Moved back: git lists nothing either.
    r.git(["reset", "-q", "--hard", base]);
    expect(await commitsSince(r.root, base, "HEAD")).toEqual([]);
  });

  it("leaves a reftable repository to git", async () => {
    const r = await repoWithRefs();
    mkdirSync(join(r.root, ".git", "reftable"));
    expect(readRefsFromFiles(join(r.root, ".git"))).toBeNull();
    expect(branchCommitFromFiles(r.root, "main")).toBeUndefined();
  });
});
