import { existsSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { seedSnapshotIndex, snapshotTree } from "../../../src/git/snapshot.js";
import { addWorktree } from "../../../src/git/worktree.js";
import { makeRepo, type TestRepo } from "../../helpers/git-repo.js";

const repos: TestRepo[] = [];
afterEach(async () => {
  await Promise.all(repos.splice(0).map((r) => r.cleanup()));
});

describe("snapshotTree and git's racily clean entries", () => {
  it("sees every same-size edit made in the second its stat was taken, snapshot after snapshot", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 200; i++) files[`src/f${i}.txt`] = `v${String(i).padStart(3, "0")}\n`;
    const r = await makeRepo(files);
    repos.push(r);
    const base = r.git(["rev-parse", "HEAD"]);
    const wt = join(r.root, ".omk", "worktrees", "run");
    await addWorktree(r.root, wt, "omk/run/x", base);
    const index = join(r.root, "..", "snap.index");
    await seedSnapshotIndex(wt, index);

    // Every write keeps the size and lands in one second with the stat git recorded: only a
    // comparison of content can tell. Pinning mtimes to one second makes that hold however slow the
    // machine is.
    const second = Math.floor(Date.now() / 1000);
    const write = (path: string, content: string) => {
      writeFileSync(join(wt, path), content);
      utimesSync(join(wt, path), second, second);
    };
    write("src/f7.txt", "x007\n");
    const first = await snapshotTree(wt, base, index);
    expect(r.git(["cat-file", "-p", `${first}:src/f7.txt`])).toBe("x007");

    write("src/f7.txt", "y007\n");
    write("src/f8.txt", "y008\n");
    const next = await snapshotTree(wt, base, index);
    expect(r.git(["cat-file", "-p", `${next}:src/f7.txt`])).toBe("y007");
    expect(r.git(["cat-file", "-p", `${next}:src/f8.txt`])).toBe("y008");
    expect(r.git(["cat-file", "-p", `${next}:src/f9.txt`])).toBe("v009");

    // The index kept as the stat cache has git's own date, not the copy's a minute ahead, and the copy is gone.
    expect(statSync(index).mtimeMs).toBeLessThanOrEqual(Date.now() + 1000);
    expect(existsSync(`${index}.tree`)).toBe(false);
  });
});
