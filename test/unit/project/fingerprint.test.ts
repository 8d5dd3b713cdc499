import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { addWorktree } from "../../../src/git/worktree.js";
import {
  changeRunsCode,
  checkoutStatus,
  diffFingerprints,
  fingerprintRepo,
  gitDirFilesUnchanged,
  type RepoFingerprint,
} from "../../../src/project/fingerprint.js";
import { makeRepo, type TestRepo } from "../../helpers/git-repo.js";

const repos: TestRepo[] = [];
afterEach(async () => {
  await Promise.all(repos.splice(0).map((r) => r.cleanup()));
});
async function repo(): Promise<TestRepo> {
  const r = await makeRepo({ "a.txt": "a\n", "src/b.ts": "export const b = 1;\n" });
  repos.push(r);
  return r;
}

const OPTS = { excludeRefPrefixes: ["refs/heads/omk/run/"] };
const fp = (r: TestRepo): Promise<RepoFingerprint> => fingerprintRepo(r.root, OPTS);

/** The differences `change` makes, as diffFingerprints names them. */
async function changes(r: TestRepo, change: () => unknown): Promise<string[]> {
  const before = await fp(r);
  await change();
  return diffFingerprints(before, await fp(r));
}

const short = (sha: string) => sha.slice(0, 10);

describe("fingerprintRepo / diffFingerprints", () => {
  it("finds no difference when nothing changed, dirty checkout included", async () => {
    const r = await repo();
    r.write({ "a.txt": "dirty\n", "notes.txt": "untracked\n" });
    const a = await fp(r);
    const b = await fp(r);
    expect(diffFingerprints(a, b)).toEqual([]);
    expect(a.head.branch).toBe("main");
    expect(a.head.commit).toBe(r.git(["rev-parse", "HEAD"]));
    expect(Object.keys(a.checkout).sort()).toEqual(["a.txt", "notes.txt"]);
    expect(Object.keys(a.gitFiles)).toContain("config");
    expect(Object.keys(a.gitFiles).some((k) => k.startsWith("hooks/") && k.endsWith(".sample"))).toBe(true);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });

  it("names a config change", async () => {
    const r = await repo();
    expect(await changes(r, () => r.git(["config", "core.fsmonitor", "/tmp/evil"]))).toEqual([
      ".git/config changed",
    ]);
  });

  it("names hooks added, changed, made executable and removed (samples included)", async () => {
    const r = await repo();
    const hooks = join(r.root, ".git", "hooks");
    expect(
      await changes(r, () => {
        writeFileSync(join(hooks, "post-checkout"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
      }),
    ).toEqual(["hook post-checkout added"]);
    expect(
      await changes(r, () => writeFileSync(join(hooks, "post-checkout"), "#!/bin/sh\necho bye\n")),
    ).toEqual(["hook post-checkout changed"]);
    expect(
      await changes(r, () => {
        writeFileSync(join(hooks, "pre-commit.sample"), "#!/bin/sh\nexit 0\n");
        chmodSync(join(hooks, "pre-commit.sample"), 0o644);
      }),
    ).toEqual(["hook pre-commit.sample changed"]);
    expect(await changes(r, () => chmodSync(join(hooks, "pre-commit.sample"), 0o755))).toEqual([
      "hook pre-commit.sample made executable",
    ]);
    expect(await changes(r, () => rmSync(join(hooks, "post-checkout")))).toEqual([
      "hook post-checkout removed",
    ]);
  });

  it("names changes under info/", async () => {
    const r = await repo();
    expect(
      await changes(r, () =>
        writeFileSync(join(r.root, ".git", "info", "exclude"), "*.secret\n", { flag: "a" }),
      ),
    ).toEqual(["info/exclude changed"]);
    expect(
      await changes(r, () => writeFileSync(join(r.root, ".git", "info", "attributes"), "* filter=x\n")),
    ).toEqual(["info/attributes added"]);
  });

  it("names refs moved, created and deleted, and packed-refs", async () => {
    const r = await repo();
    const first = r.git(["rev-parse", "HEAD"]);
    r.git(["branch", "feature"]);
    const moved = await changes(r, () => {
      r.write({ "a.txt": "next\n" });
      r.commitAll("next");
    });
    const second = r.git(["rev-parse", "HEAD"]);
    expect(moved).toEqual([`refs/heads/main moved ${short(first)} → ${short(second)}`]);
    expect(await changes(r, () => r.git(["tag", "v1"]))).toEqual([
      `refs/tags/v1 created at ${short(second)}`,
    ]);
    expect(await changes(r, () => r.git(["branch", "-D", "feature"]))).toEqual([
      `refs/heads/feature deleted (was ${short(first)})`,
    ]);
    expect(await changes(r, () => r.git(["pack-refs", "--all"]))).toEqual([".git/packed-refs added"]);
    expect(await changes(r, () => r.git(["update-ref", "refs/tags/v1", first]))).toEqual([
      `refs/tags/v1 moved ${short(second)} → ${short(first)}`,
    ]);
  });

  it("names HEAD switching branches and moving while detached", async () => {
    const r = await repo();
    const first = r.git(["rev-parse", "HEAD"]);
    r.git(["branch", "other"]);
    expect(await changes(r, () => r.git(["checkout", "-q", "other"]))).toEqual([
      "main checkout: HEAD switched from main to other",
    ]);
    expect(await changes(r, () => r.git(["checkout", "-q", "--detach"]))).toEqual([
      "main checkout: HEAD switched from other to (detached)",
    ]);
    const moved = await changes(r, () => {
      r.write({ "a.txt": "x\n" });
      r.commitAll("detached commit");
    });
    expect(moved).toEqual([
      `main checkout: HEAD (detached) moved ${short(first)} → ${short(r.git(["rev-parse", "HEAD"]))}`,
    ]);
  });

  it("names changes to the main checkout, a further edit of an already changed file included", async () => {
    const r = await repo();
    expect(
      await changes(r, () => {
        r.write({ "a.txt": "edited\n", "new.txt": "new\n" });
        rmSync(join(r.root, "src", "b.ts"));
      }),
    ).toEqual([
      "main checkout: a.txt modified",
      "main checkout: new.txt created (untracked)",
      "main checkout: src/b.ts deleted",
    ]);
    expect(
      await changes(r, () => {
        r.write({ "a.txt": "edited again, longer\n", "new.txt": "changed\n" });
      }),
    ).toEqual(["main checkout: a.txt modified", "main checkout: new.txt modified (untracked)"]);
    expect(await changes(r, () => r.git(["add", "new.txt"]))).toEqual(["main checkout: new.txt added"]);
    expect(
      await changes(r, () => {
        r.git(["checkout", "--", "a.txt", "src/b.ts"]);
      }),
    ).toEqual(["main checkout: a.txt no longer changed", "main checkout: src/b.ts no longer changed"]);
  });

  it("ignores run branches (loose or packed) and everything under .omk/worktrees/", async () => {
    const r = await repo();
    const base = r.git(["rev-parse", "HEAD"]);
    r.git(["branch", "omk/run/old"]);
    r.git(["pack-refs", "--all"]);
    expect(
      await changes(r, async () => {
        const wt = join(r.root, ".omk", "worktrees", "run-1");
        await addWorktree(r.root, wt, "omk/run/run-1", base);
        r.write({ "a.txt": "agent\n", "x.txt": "x\n" }, wt);
        r.commitAll("agent commit", wt);
        r.git(["update-ref", "refs/heads/omk/run/old", r.git(["rev-parse", "HEAD"], wt)]);
        // Deleting a packed run branch rewrites packed-refs; only its own lines change.
        r.git(["branch", "-D", "omk/run/old"]);
      }),
    ).toEqual([]);
    // The same kind of change to a ref that is not excluded is seen.
    expect(await changes(r, () => r.git(["branch", "omk/other"]))).toEqual([
      `refs/heads/omk/other created at ${short(base)}`,
    ]);
  });

  it("changeRunsCode tells config, hooks, info/ and alternates from refs, packed-refs and the checkout", async () => {
    const r = await repo();
    const dir = join(r.root, ".git");
    const code = await changes(r, () => {
      r.git(["config", "core.fsmonitor", "/tmp/evil"]);
      writeFileSync(join(dir, "hooks", "post-checkout"), "#!/bin/sh\n", { mode: 0o755 });
      writeFileSync(join(dir, "info", "exclude"), "hidden\n");
      mkdirSync(join(dir, "objects", "info"), { recursive: true });
      writeFileSync(join(dir, "objects", "info", "alternates"), "/tmp/other/objects\n");
    });
    expect(code).toHaveLength(4);
    for (const line of code) expect(changeRunsCode(line), line).toBe(true);
    const head = r.git(["rev-parse", "HEAD"]);
    const yours = await changes(r, () => {
      r.git(["update-ref", "refs/remotes/origin/main", head]);
      r.git(["pack-refs", "--all"]);
      r.write({ "a.txt": "edited\n", "notes.txt": "new\n" });
      r.git(["commit", "-q", "--allow-empty", "-m", "the person's commit"]);
      r.git(["checkout", "-q", "-b", "topic"]);
    });
    expect(yours.some((l) => l.startsWith(".git/packed-refs "))).toBe(true);
    expect(yours.some((l) => l.startsWith("main checkout: "))).toBe(true);
    expect(yours.some((l) => l.startsWith("refs/"))).toBe(true);
    for (const line of yours) expect(changeRunsCode(line), line).toBe(false);
  });
});

describe("gitDirFilesUnchanged (the part of the check a snapshot waits for)", () => {
  it("holds while only refs, the main checkout or excluded run branches change; not after config, hooks or info/", async () => {
    const r = await repo();
    const before = await fp(r);
    writeFileSync(join(r.root, "a.txt"), "edited\n");
    r.git(["branch", "omk/run/x"]);
    r.git(["branch", "other"]);
    expect(await gitDirFilesUnchanged(r.root, before, OPTS)).toBe(true);

    const common = join(r.root, ".git");
    r.git(["config", "filter.evil.clean", "cat"]);
    expect(await gitDirFilesUnchanged(r.root, before, OPTS)).toBe(false);
    const afterConfig = await fp(r);
    writeFileSync(join(common, "hooks", "post-index-change"), "#!/bin/sh\n");
    expect(await gitDirFilesUnchanged(r.root, afterConfig, OPTS)).toBe(false);
    const afterHook = await fp(r);
    mkdirSync(join(common, "info"), { recursive: true });
    writeFileSync(join(common, "info", "attributes"), "* filter=evil\n");
    expect(await gitDirFilesUnchanged(r.root, afterHook, OPTS)).toBe(false);
  });
});

describe("checkoutStatus: callers that overlap share one git status, never an earlier one", () => {
  it("a call while a status runs gets the next one, shared with the other late callers", async () => {
    const r = await repo();
    const first = checkoutStatus(r.root);
    const second = checkoutStatus(r.root);
    const third = checkoutStatus(r.root);
    // The running status may have read the checkout before the later callers asked: they wait for
    // the next one, and share it.
    expect(second).not.toBe(first);
    expect(third).toBe(second);
    await Promise.all([first, second, third]);
    // Nothing runs now: the next caller starts its own, and it sees what changed since.
    r.write({ "late.txt": "x\n" });
    const fourth = checkoutStatus(r.root);
    expect(fourth).not.toBe(second);
    expect((await fourth).entries.map((e) => e.path)).toContain("late.txt");
  });

  it("what changes after a status started is in the status of anyone who asked after the change", async () => {
    const r = await repo();
    const first = checkoutStatus(r.root);
    await new Promise((resolve) => setTimeout(resolve, 0));
    r.write({ "during.txt": "x\n" });
    const second = checkoutStatus(r.root);
    expect((await second).entries.map((e) => e.path)).toContain("during.txt");
    await first;
  });
});
