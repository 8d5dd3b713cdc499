import { existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { branchExists, headCommit } from "../../../src/git/refs.js";
import {
  addDetachedWorktree,
  addWorktree,
  asAdd,
  listWorktrees,
  pruneWorktrees,
  removeWorktree,
} from "../../../src/git/worktree.js";
import { makeRepo, type TestRepo } from "../../helpers/git-repo.js";

/**
 * addWorktree retries on its own: after a refused attempt it sleeps lockBackoffMs(attempt) from the runner.
 * That call is where a test acts between two attempts; the real backoff stays in force.
 */
const onRetry = vi.hoisted(() => ({ current: null as ((attempt: number) => void) | null }));
vi.mock("../../../src/git/runner.js", async (importOriginal) => {
  const runner = await importOriginal<typeof import("../../../src/git/runner.js")>();
  return {
    ...runner,
    lockBackoffMs: (attempt: number) => {
      onRetry.current?.(attempt);
      return runner.lockBackoffMs(attempt);
    },
  };
});

const repos: TestRepo[] = [];
afterEach(async () => {
  await Promise.all(repos.splice(0).map((r) => r.cleanup()));
});
async function repo(): Promise<TestRepo> {
  const r = await makeRepo({ "a.txt": "a\n", "src/b.ts": "export const b = 1;\n" });
  repos.push(r);
  return r;
}

describe("worktrees", () => {
  it("adds a worktree on a new branch at the base commit, lists and removes it", async () => {
    const r = await repo();
    const base = r.git(["rev-parse", "HEAD"]);
    r.write({ "a.txt": "moved on\n" });
    r.commitAll("main moves on");
    const wt = join(r.root, ".omk", "worktrees", "run 1");
    await addWorktree(r.root, ".omk/worktrees/run 1", "omk/run/run-1", base);
    expect(await headCommit(wt)).toBe(base);
    expect(r.git(["symbolic-ref", "--short", "HEAD"], wt)).toBe("omk/run/run-1");
    expect(existsSync(join(wt, "src", "b.ts"))).toBe(true);

    const list = await listWorktrees(r.root);
    expect(list.map((w) => realpathSync(w.path))).toEqual([r.root, wt]);
    expect(list[1]).toMatchObject({ head: base, branch: "omk/run/run-1", detached: false, prunable: false });
    expect(list[0]?.branch).toBe("main");

    await removeWorktree(r.root, wt);
    expect(existsSync(wt)).toBe(false);
    expect((await listWorktrees(r.root)).length).toBe(1);
    expect(await branchExists(r.root, "omk/run/run-1")).toBe(true);
    // Removing again is a no-op, so cleanup can be retried.
    await removeWorktree(r.root, wt);
  });

  it("refuses an existing branch and a bad base", async () => {
    const r = await repo();
    r.git(["branch", "taken"]);
    await expect(addWorktree(r.root, "w", "taken", "HEAD")).rejects.toThrow(/branch taken already exists/);
    await expect(addWorktree(r.root, "w", "fresh", "no-such-rev")).rejects.toThrow(/unknown revision/);
    expect(await branchExists(r.root, "fresh")).toBe(false);
  });

  it("needs force to remove a worktree with uncommitted changes", async () => {
    const r = await repo();
    const wt = join(r.root, ".omk", "worktrees", "dirty");
    await addWorktree(r.root, wt, "omk/run/dirty", "HEAD");
    r.write({ "untracked.txt": "u" }, wt);
    await expect(removeWorktree(r.root, wt)).rejects.toMatchObject({ code: "GIT_FAILED" });
    expect(existsSync(wt)).toBe(true);
    await removeWorktree(r.root, wt, { force: true });
    expect(existsSync(wt)).toBe(false);
  });

  it("prunes worktrees whose directory was deleted", async () => {
    const r = await repo();
    const wt = join(r.root, ".omk", "worktrees", "gone");
    await addWorktree(r.root, wt, "omk/run/gone", "HEAD");
    rmSync(wt, { recursive: true, force: true });
    expect((await listWorktrees(r.root))[1]?.prunable).toBe(true);
    await pruneWorktrees(r.root);
    expect((await listWorktrees(r.root)).length).toBe(1);
    // The pruned run branch still exists and can serve as a base.
    await addWorktree(r.root, join(r.root, "again"), "omk/run/again", "omk/run/gone");
  });

  it("waits out another process's half-created worktree entry", async () => {
    const r = await repo();
    const base = r.git(["rev-parse", "HEAD"]);
    // What a concurrent `git worktree add` leaves for a moment: gitdir written, commondir still empty.
    // Any git that lists worktrees meanwhile dies with "failed to read …/commondir".
    const entry = join(r.root, ".git", "worktrees", "in-flight");
    mkdirSync(entry, { recursive: true });
    writeFileSync(join(entry, "gitdir"), join(r.root, "in-flight", ".git\n"));
    writeFileSync(join(entry, "commondir"), "");
    // The other process finishes its entry while addWorktree waits after its first, refused attempt.
    const retried: number[] = [];
    onRetry.current = (attempt) => {
      retried.push(attempt);
      rmSync(entry, { recursive: true });
    };
    try {
      await addWorktree(r.root, ".omk/worktrees/w", "omk/run/w", base);
    } finally {
      onRetry.current = null;
      rmSync(entry, { recursive: true, force: true });
    }
    // Two attempts: one refused on the half-created entry, one that added the worktree.
    expect(retried).toEqual([0]);
    const wt = join(r.root, ".omk", "worktrees", "w");
    expect(await headCommit(wt)).toBe(base);
    expect(r.git(["symbolic-ref", "--short", "HEAD"], wt)).toBe("omk/run/w");
  });

  it("gives up on a lasting failure without leaving its branch behind", async () => {
    const r = await repo();
    const entry = join(r.root, ".git", "worktrees", "stuck");
    mkdirSync(entry, { recursive: true });
    writeFileSync(join(entry, "gitdir"), join(r.root, "stuck", ".git\n"));
    writeFileSync(join(entry, "commondir"), "");
    await expect(addWorktree(r.root, ".omk/worktrees/w", "omk/run/w", "HEAD")).rejects.toMatchObject({
      code: "GIT_FAILED",
      message: expect.stringMatching(/commondir/),
    });
    rmSync(entry, { recursive: true, force: true });
    expect(await branchExists(r.root, "omk/run/w")).toBe(false);
    expect(existsSync(join(r.root, ".omk", "worktrees", "w"))).toBe(false);
  });

  it("8 concurrent adds on one repo all succeed", async () => {
    const r = await repo();
    const base = r.git(["rev-parse", "HEAD"]);
    const ids = Array.from({ length: 8 }, (_, i) => `c${i}`);
    await Promise.all(ids.map((id) => addWorktree(r.root, `.omk/worktrees/${id}`, `omk/run/${id}`, base)));
    const list = await listWorktrees(r.root);
    expect(list.length).toBe(9);
    for (const id of ids) {
      const wt = join(r.root, ".omk", "worktrees", id);
      expect(
        list.some((w) => w.branch === `omk/run/${id}` && realpathSync(w.path) === wt && w.head === base),
      ).toBe(true);
      expect(existsSync(join(wt, "a.txt"))).toBe(true);
    }
    await Promise.all(ids.map((id) => removeWorktree(r.root, `.omk/worktrees/${id}`)));
    expect((await listWorktrees(r.root)).length).toBe(1);
  });
});

describe("prune beside adds", () => {
  it("a prune waits for the worktree adds in flight, whose half-made entries it would remove", async () => {
    const r = await repo();
    // What git's `worktree add` leaves for a moment: its admin dir, before `locked` and `gitdir`.
    const half = join(r.root, ".git", "worktrees", "half-made");
    let pruned: boolean | null = null;
    const add = asAdd(async () => {
      mkdirSync(half, { recursive: true });
      await new Promise((resolve) => setTimeout(resolve, 150));
      pruned = !existsSync(half);
      writeFileSync(join(half, "locked"), "initializing\n");
    });
    const prune = pruneWorktrees(r.root);
    await Promise.all([add, prune]);
    expect(pruned).toBe(false);
    // Once the add is over, prune does its work: the entry still has no gitdir, so it goes.
    rmSync(join(half, "locked"));
    await pruneWorktrees(r.root);
    expect(existsSync(half)).toBe(false);
  });

  it("an add waits for a prune that was asked for first", async () => {
    const r = await repo();
    const base = r.git(["rev-parse", "HEAD"]);
    const prune = pruneWorktrees(r.root);
    const added = addDetachedWorktree(r.root, join(r.root, ".omk", "worktrees", "w"), base);
    await Promise.all([prune, added]);
    expect((await listWorktrees(r.root)).length).toBe(2);
  });
});
