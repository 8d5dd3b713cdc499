import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findTopLevel } from "../../../src/git/dirs.js";
import { branchExists, currentBranch, deleteBranch, headCommit, isAncestor } from "../../../src/git/refs.js";
import { addToInfoExclude, findRepoRoot, isDirty, requireRepoRoot } from "../../../src/git/repo.js";
import { addWorktree } from "../../../src/git/worktree.js";
import { caught, makeRepo, makeTempDir, type TestRepo } from "../../helpers/git-repo.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});
async function repo(files: Record<string, string> = { "a.txt": "a\n" }, commit = true): Promise<TestRepo> {
  const r = await makeRepo(files, { commit });
  cleanups.push(r.cleanup);
  return r;
}
function tempDir(): string {
  const dir = makeTempDir();
  cleanups.push(async () => {
    const { rm } = await import("node:fs/promises");
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

describe("findRepoRoot / requireRepoRoot", () => {
  it("finds the top level from a subdirectory", async () => {
    const r = await repo({ "src/deep/x.txt": "x" });
    expect(await findRepoRoot(join(r.root, "src", "deep"))).toBe(r.root);
  });

  it("returns a linked worktree's own root", async () => {
    const r = await repo();
    await addWorktree(r.root, ".omk/worktrees/w1", "omk/run/w1", "HEAD");
    const wt = join(r.root, ".omk/worktrees/w1");
    expect(await findRepoRoot(wt)).toBe(wt);
  });

  it("is null outside a repository, for a missing directory and inside .git", async () => {
    const r = await repo();
    expect(await findRepoRoot(tempDir())).toBeNull();
    expect(await findRepoRoot(join(tempDir(), "missing"))).toBeNull();
    expect(await findRepoRoot(join(r.root, ".git"))).toBeNull();
  });

  it("agrees with git where it reads the files itself, and leaves a moved work tree to git", async () => {
    const r = await repo({ "src/deep/x.txt": "x" });
    const byGit = (cwd: string) => r.git(["rev-parse", "--show-toplevel"], cwd);
    expect(findTopLevel(join(r.root, "src", "deep"))).toBe(byGit(join(r.root, "src", "deep")));
    await addWorktree(r.root, ".omk/worktrees/w2", "omk/run/w2", "HEAD");
    const wt = join(r.root, ".omk/worktrees/w2");
    expect(findTopLevel(wt)).toBe(byGit(wt));
    // core.worktree moves the work tree away from where .git is: a walk up would be wrong, so git answers.
    const elsewhere = tempDir();
    r.git(["config", "core.worktree", elsewhere]);
    expect(findTopLevel(join(r.root, "src"))).toBeUndefined();
    expect(await findRepoRoot(elsewhere)).toBeNull();
    expect(findTopLevel(join(r.root, ".git"))).toBeUndefined();
  });

  it("requireRepoRoot fails with NOT_A_GIT_REPO and a hint", async () => {
    const error = await caught(requireRepoRoot(tempDir()));
    expect(error.code).toBe("NOT_A_GIT_REPO");
    expect(error.exitCode).toBe(2);
    expect(error.hint).toBe("run inside a git repository (git init)");
  });
});

describe("headCommit / currentBranch", () => {
  it("resolves HEAD and other revisions to full ids", async () => {
    const r = await repo();
    const first = r.git(["rev-parse", "HEAD"]);
    r.write({ "a.txt": "changed\n" });
    const second = r.commitAll("second");
    expect(await headCommit(r.root)).toBe(second);
    expect(await headCommit(r.root, "HEAD~1")).toBe(first);
    expect(await headCommit(r.root, "main")).toBe(second);
  });

  it("explains an unborn HEAD and an unknown revision", async () => {
    const r = await repo({}, false);
    const unborn = await caught(headCommit(r.root));
    expect(unborn.code).toBe("GIT_FAILED");
    expect(unborn.message).toMatch(/branch main has no commits yet/);
    expect(unborn.hint).toMatch(/first commit/);
    expect(await currentBranch(r.root)).toBe("main");
    const unknown = await caught(headCommit((await repo()).root, "nope"));
    expect(unknown.message).toMatch(/unknown revision "nope"/);
  });

  it("reports null for a detached HEAD", async () => {
    const r = await repo();
    r.git(["checkout", "-q", "--detach"]);
    expect(await currentBranch(r.root)).toBeNull();
  });
});

describe("branches and ancestry", () => {
  it("checks, deletes and compares branches", async () => {
    const r = await repo();
    const base = r.git(["rev-parse", "HEAD"]);
    r.git(["branch", "topic"]);
    expect(await branchExists(r.root, "topic")).toBe(true);
    expect(await branchExists(r.root, "nope")).toBe(false);
    r.git(["checkout", "-q", "topic"]);
    r.write({ "t.txt": "t" });
    const tip = r.commitAll("topic");
    r.git(["checkout", "-q", "main"]);
    expect(await isAncestor(r.root, base, tip)).toBe(true);
    expect(await isAncestor(r.root, tip, base)).toBe(false);
    await expect(deleteBranch(r.root, "topic")).rejects.toThrow(/not fully merged/);
    await deleteBranch(r.root, "topic", { force: true });
    expect(await branchExists(r.root, "topic")).toBe(false);
  });
});

describe("isDirty", () => {
  it("is clean right after a commit", async () => {
    const r = await repo();
    expect(await isDirty(r.root)).toEqual({ dirty: false, entries: [] });
  });

  it("lists modified, staged, and every untracked file", async () => {
    const r = await repo({ "a.txt": "a\n", "b.txt": "b\n" });
    r.write({ "a.txt": "changed\n", "new dir/ü file.txt": "u", "new dir/sub/x": "x" });
    r.git(["rm", "-q", "b.txt"]);
    const { dirty, entries } = await isDirty(r.root);
    expect(dirty).toBe(true);
    expect(entries.sort()).toEqual([" M a.txt", "?? new dir/sub/x", "?? new dir/ü file.txt", "D  b.txt"]);
  });

  it("skips ignored prefixes, including nested worktrees, and describes renames", async () => {
    const r = await repo({ "a.txt": "a\n" });
    await addWorktree(r.root, ".omk/worktrees/w1", "omk/run/w1", "HEAD");
    r.write({ ".omk/state.txt": "s", ".omkx": "not ignored" });
    expect((await isDirty(r.root, { ignore: [".omk/"] })).entries).toEqual(["?? .omkx"]);
    r.git(["mv", "a.txt", "b.txt"]);
    expect((await isDirty(r.root, { ignore: ["./.omk", ".omkx"] })).entries).toEqual(["R  a.txt -> b.txt"]);
    expect((await isDirty(r.root)).entries).toContain("?? .omk/worktrees/w1/");
  });
});

describe("addToInfoExclude", () => {
  it("adds once and is idempotent", async () => {
    const r = await repo();
    const file = join(r.root, ".git", "info", "exclude");
    const before = readFileSync(file, "utf8");
    expect(await addToInfoExclude(r.root, ".omk/worktrees/")).toBe(true);
    expect(await addToInfoExclude(r.root, ".omk/worktrees/")).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(`${before}.omk/worktrees/\n`);
    r.write({ ".omk/worktrees/x.txt": "x" });
    expect(await isDirty(r.root)).toEqual({ dirty: false, entries: [] });
  });

  it("creates info/exclude when missing, keeps a last line without newline, rejects multi-line patterns", async () => {
    const r = await repo();
    const info = join(r.root, ".git", "info");
    mkdirSync(info, { recursive: true });
    writeFileSync(join(info, "exclude"), "keep-me");
    expect(await addToInfoExclude(r.root, "a/")).toBe(true);
    expect(readFileSync(join(info, "exclude"), "utf8")).toBe("keep-me\na/\n");
    await expect(addToInfoExclude(r.root, "a\nb")).rejects.toThrow(/invalid exclude pattern/);
  });

  it("writes the shared exclude file when called from a linked worktree", async () => {
    const r = await repo();
    await addWorktree(r.root, ".omk/worktrees/w1", "omk/run/w1", "HEAD");
    expect(await addToInfoExclude(join(r.root, ".omk/worktrees/w1"), "from-worktree/")).toBe(true);
    expect(readFileSync(join(r.root, ".git", "info", "exclude"), "utf8")).toMatch(/^from-worktree\/$/m);
  });
});
