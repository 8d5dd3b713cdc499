import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OmkError } from "../../../src/core/errors.js";
import { checkRevArg, git, isTransientLockError, subcommandOf } from "../../../src/git/runner.js";
import { caught, makeRepo, type TestRepo } from "../../helpers/git-repo.js";

const repos: TestRepo[] = [];
afterEach(async () => {
  await Promise.all(repos.splice(0).map((r) => r.cleanup()));
});
async function repo(files: Record<string, string> = { "a.txt": "a\n" }): Promise<TestRepo> {
  const r = await makeRepo(files);
  repos.push(r);
  return r;
}

describe("isTransientLockError", () => {
  it("recognises busy locks and half-created worktrees", () => {
    expect(isTransientLockError("fatal: Unable to create '/r/.git/index.lock': File exists.")).toBe(true);
    expect(
      isTransientLockError(
        "error: cannot lock ref 'refs/heads/x': Unable to create '/r/.git/refs/heads/x.lock': File exists.",
      ),
    ).toBe(true);
    expect(isTransientLockError("error: could not lock config file .git/config: File exists")).toBe(true);
    expect(isTransientLockError("fatal: failed to read .git/worktrees/w1/commondir: Success")).toBe(true);
  });

  it("does not retry lost races or real errors", () => {
    expect(isTransientLockError("fatal: cannot lock ref 'HEAD': is at abc but expected def")).toBe(false);
    expect(isTransientLockError("fatal: a branch named 'x' already exists")).toBe(false);
    expect(isTransientLockError("")).toBe(false);
  });
});

describe("subcommandOf / checkRevArg", () => {
  it("skips -c values and options", () => {
    expect(subcommandOf(["-c", "core.quotepath=off", "status", "-z"])).toBe("status");
    expect(subcommandOf(["--no-pager", "diff"])).toBe("diff");
    expect(subcommandOf([])).toBe("(none)");
  });

  it("refuses revisions git would read as options", () => {
    expect(checkRevArg("main", "branch")).toBe("main");
    for (const bad of ["", "--output=/etc/x", "-b", "a\nb", "a\0b"]) {
      expect(() => checkRevArg(bad, "branch")).toThrow(OmkError);
    }
  });
});

describe("git runner", () => {
  it("returns stdout and exit code", async () => {
    const r = await repo();
    const out = await git(r.root)(["rev-parse", "--abbrev-ref", "HEAD"]);
    expect(out).toEqual({ code: 0, stdout: "main\n", stderr: "" });
  });

  it("throws GIT_FAILED naming the subcommand with the stderr tail", async () => {
    const r = await repo();
    const error = await caught(git(r.root)(["rev-parse", "--verify", "no-such-branch"]));
    expect(error.code).toBe("GIT_FAILED");
    expect(error.message).toMatch(/^git rev-parse failed \(exit 128\): fatal: Needed a single revision/);
    expect(error.details).toMatchObject({ subcommand: "rev-parse", cwd: r.root });
    expect(error.hint).toBeTruthy();
  });

  it("returns failures as data with allowFail and accepts okCodes", async () => {
    const r = await repo();
    const g = git(r.root);
    const failed = await g(["rev-parse", "--verify", "nope"], { allowFail: true });
    expect(failed.code).toBe(128);
    const answer = await g(["merge-base", "--is-ancestor", "HEAD", "HEAD~0"], { okCodes: [1] });
    expect(answer.code).toBe(0);
  });

  it("ignores GIT_DIR / GIT_WORK_TREE inherited from the parent (e.g. when omk runs inside a git hook)", async () => {
    const r = await repo();
    const other = await repo({ "other.txt": "o\n" });
    const saved = { dir: process.env.GIT_DIR, tree: process.env.GIT_WORK_TREE };
    process.env.GIT_DIR = join(other.root, ".git");
    process.env.GIT_WORK_TREE = other.root;
    try {
      const out = await git(r.root)(["rev-parse", "HEAD"]);
      expect(out.stdout.trim()).toBe(r.git(["rev-parse", "HEAD"]));
      expect(out.stdout.trim()).not.toBe(other.git(["rev-parse", "HEAD"]));
    } finally {
      for (const [k, v] of [
        ["GIT_DIR", saved.dir],
        ["GIT_WORK_TREE", saved.tree],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("feeds input on stdin", async () => {
    const r = await repo();
    const out = await git(r.root)(["hash-object", "--stdin"], { input: "hello\n" });
    expect(out.stdout.trim()).toBe("ce013625030ba8dba906f756967f9e9ca394464a");
  });

  it("retries while another process holds the index lock", async () => {
    const r = await repo();
    const lock = join(r.root, ".git", "index.lock");
    writeFileSync(lock, "");
    r.write({ "b.txt": "b\n" });
    // The other process lets go while the runner waits after its first, refused attempt.
    const waits: number[] = [];
    try {
      await git(r.root)(["add", "b.txt"], {
        lockWait: async (attempt) => {
          waits.push(attempt);
          rmSync(lock);
        },
      });
    } finally {
      rmSync(lock, { force: true });
    }
    // Two attempts: one refused by the lock, one that staged the file.
    expect(waits).toEqual([0]);
    expect(r.git(["diff", "--cached", "--name-only"])).toBe("b.txt");
  });

  it("gives up on a lock that stays, with a hint about stale locks", async () => {
    const r = await repo();
    writeFileSync(join(r.root, ".git", "index.lock"), "");
    r.write({ "b.txt": "b\n" });
    const error = await caught(git(r.root)(["add", "b.txt"], { retryOnLock: false }));
    expect(error.code).toBe("GIT_FAILED");
    expect(error.message).toMatch(/index\.lock/);
    expect(error.hint).toMatch(/lock/);
  });
});
