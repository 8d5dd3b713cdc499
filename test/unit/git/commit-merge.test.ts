import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { commitStaged } from "../../../src/git/commit.js";
import { stageAndDiff } from "../../../src/git/diff.js";
import { mergeInto, mergeTreeCheck } from "../../../src/git/merge.js";
import { isDirty } from "../../../src/git/repo.js";
import { addWorktree } from "../../../src/git/worktree.js";
import {
  caught,
  makeRepo,
  makeTempDir,
  TEST_EMAIL,
  TEST_NAME,
  type TestRepo,
} from "../../helpers/git-repo.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});
async function repo(files: Record<string, string>, identity = true): Promise<TestRepo> {
  const r = await makeRepo(files, { identity });
  cleanups.push(r.cleanup);
  return r;
}

/** Point git's global/system config at nothing, as on a fresh CI machine, for the duration of fn. */
async function withoutUserConfig<T>(fn: () => Promise<T>): Promise<T> {
  const home = makeTempDir("omk-home-");
  const keys = [
    "HOME",
    "XDG_CONFIG_HOME",
    "GIT_CONFIG_NOSYSTEM",
    "GIT_CONFIG_GLOBAL",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
  ];
  const saved = new Map(keys.map((k) => [k, process.env[k]]));
  for (const k of keys) delete process.env[k];
  process.env.HOME = home;
  process.env.XDG_CONFIG_HOME = join(home, ".config");
  process.env.GIT_CONFIG_NOSYSTEM = "1";
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    const { rm } = await import("node:fs/promises");
    await rm(home, { recursive: true, force: true });
  }
}

describe("commitStaged", () => {
  it("returns null when nothing is staged, otherwise the new commit", async () => {
    const r = await repo({ "a.txt": "a\n" });
    const before = r.git(["rev-parse", "HEAD"]);
    expect(await commitStaged(r.root, "nothing")).toBeNull();
    expect(r.git(["rev-parse", "HEAD"])).toBe(before);

    r.write({ "b.txt": "b\n" });
    r.git(["add", "b.txt"]);
    const message = "Add b\n\n#42 stays, as does\n# this line\n";
    const sha = await commitStaged(r.root, message);
    expect(sha).toBe(r.git(["rev-parse", "HEAD"]));
    expect(r.git(["rev-parse", "HEAD~1"])).toBe(before);
    expect(r.git(["log", "-1", "--format=%B"])).toBe("Add b\n\n#42 stays, as does\n# this line\n");
    expect(r.git(["log", "-1", "--format=%an <%ae>|%cn <%ce>"])).toBe(
      `${TEST_NAME} <${TEST_EMAIL}>|${TEST_NAME} <${TEST_EMAIL}>`,
    );
  });

  it("falls back to omk <omk@localhost> when no identity is configured anywhere", async () => {
    const r = await repo({ "a.txt": "a\n" }, false);
    r.write({ "b.txt": "b\n" });
    r.git(["add", "-A"]);
    const sha = await withoutUserConfig(() => commitStaged(r.root, "no identity here"));
    expect(sha).not.toBeNull();
    expect(r.git(["log", "-1", "--format=%an <%ae>|%cn <%ce>"])).toBe(
      "omk <omk@localhost>|omk <omk@localhost>",
    );
  });

  it("keeps a configured identity even with the user config hidden", async () => {
    const r = await repo({ "a.txt": "a\n" });
    r.write({ "b.txt": "b\n" });
    r.git(["add", "-A"]);
    await withoutUserConfig(() => commitStaged(r.root, "local identity"));
    expect(r.git(["log", "-1", "--format=%an <%ae>"])).toBe(`${TEST_NAME} <${TEST_EMAIL}>`);
  });

  it("refuses an empty message", async () => {
    const r = await repo({ "a.txt": "a\n" });
    expect((await caught(commitStaged(r.root, "  \n"))).code).toBe("USAGE");
  });
});

/** main with a run branch that changed `file` in a worktree; main optionally moved on too. */
async function forked(runChange: Record<string, string>, mainChange?: Record<string, string>) {
  const r = await repo({ "a.txt": "a\n", "b.txt": "b\n" });
  const base = r.git(["rev-parse", "HEAD"]);
  const wt = join(r.root, ".omk", "worktrees", "run");
  await addWorktree(r.root, wt, "omk/run/x", base);
  r.write(runChange, wt);
  await stageAndDiff(wt, base);
  const tip = await commitStaged(wt, "run change");
  if (tip === null) throw new Error("run made no commit");
  let head = base;
  if (mainChange !== undefined) {
    r.write(mainChange);
    head = r.commitAll("main change");
  }
  return { r, base, tip, head };
}

describe("mergeTreeCheck", () => {
  it("is clean for disjoint changes and returns the merged tree", async () => {
    const { r, tip, head } = await forked({ "a.txt": "run\n" }, { "b.txt": "main\n" });
    const check = await mergeTreeCheck(r.root, head, tip);
    expect(check.clean).toBe(true);
    expect(check.conflicts).toEqual([]);
    expect(r.git(["show", `${check.tree}:a.txt`])).toBe("run");
    expect(r.git(["show", `${check.tree}:b.txt`])).toBe("main");
  });

  it("lists conflicting paths and touches nothing", async () => {
    const { r, tip, head } = await forked({ "a.txt": "run\n", "new file.txt": "x" }, { "a.txt": "main\n" });
    const status = r.git(["status", "--porcelain"]);
    expect(await mergeTreeCheck(r.root, head, tip)).toEqual({
      clean: false,
      tree: null,
      conflicts: ["a.txt"],
    });
    expect(r.git(["status", "--porcelain"])).toBe(status);
    expect(r.git(["rev-parse", "HEAD"])).toBe(head);
  });
});

describe("mergeInto", () => {
  it("fast-forwards under ffOnly", async () => {
    const { r, tip } = await forked({ "a.txt": "run\n" });
    expect(await mergeInto(r.root, "omk/run/x", { ffOnly: true })).toEqual({
      commit: tip,
      fastForward: true,
      upToDate: false,
    });
    expect(r.git(["rev-parse", "main"])).toBe(tip);
    expect(r.git(["show", "HEAD:a.txt"])).toBe("run");
    expect(await isDirty(r.root, { ignore: [".omk/"] })).toEqual({ dirty: false, entries: [] });
    // Landing the same branch again changes nothing.
    expect(await mergeInto(r.root, "omk/run/x", { ffOnly: true })).toEqual({
      commit: tip,
      fastForward: false,
      upToDate: true,
    });
  });

  it("refuses under ffOnly when main moved on, leaving the checkout alone", async () => {
    const { r, head } = await forked({ "a.txt": "run\n" }, { "b.txt": "main\n" });
    const error = await caught(mergeInto(r.root, "omk/run/x", { ffOnly: true }));
    expect(error.code).toBe("LAND_REFUSED");
    expect(error.message).toMatch(/cannot fast-forward main to omk\/run\/x/);
    expect(r.git(["rev-parse", "HEAD"])).toBe(head);
    expect(await isDirty(r.root, { ignore: [".omk/"] })).toEqual({ dirty: false, entries: [] });
  });

  it("makes a merge commit with the given message when not ffOnly", async () => {
    const { r, tip, head } = await forked({ "a.txt": "run\n" }, { "b.txt": "main\n" });
    const result = await mergeInto(r.root, "omk/run/x", { ffOnly: false, message: "Land run x" });
    expect(result.fastForward).toBe(false);
    expect(result.commit).toBe(r.git(["rev-parse", "HEAD"]));
    expect(r.git(["rev-parse", "HEAD^1", "HEAD^2"])).toBe(`${head}\n${tip}`);
    expect(r.git(["log", "-1", "--format=%s"])).toBe("Land run x");
    expect(r.git(["show", "HEAD:a.txt"])).toBe("run");
    expect(r.git(["show", "HEAD:b.txt"])).toBe("main");
  });

  it("refuses a conflicting merge before touching the checkout", async () => {
    const { r, head } = await forked({ "a.txt": "run\n" }, { "a.txt": "main\n" });
    const error = await caught(mergeInto(r.root, "omk/run/x", { ffOnly: false }));
    expect(error.code).toBe("LAND_REFUSED");
    expect(error.details).toMatchObject({ conflicts: ["a.txt"] });
    expect(r.git(["rev-parse", "HEAD"])).toBe(head);
    expect(await isDirty(r.root, { ignore: [".omk/"] })).toEqual({ dirty: false, entries: [] });
  });

  it("rejects an unknown branch", async () => {
    const r = await repo({ "a.txt": "a\n" });
    expect((await caught(mergeInto(r.root, "nope", { ffOnly: true }))).message).toMatch(/does not exist/);
  });
});
