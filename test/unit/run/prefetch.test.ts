import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { dirtyEntries } from "../../../src/project/fingerprint.js";
import { prefetchRun, preflightFingerprint } from "../../../src/run/prefetch.js";
import { makeRepo, makeTempDir, type TestRepo } from "../../helpers/git-repo.js";

const repos: TestRepo[] = [];
afterEach(async () => {
  await Promise.all(repos.splice(0).map((r) => r.cleanup()));
});

describe("the preflight fingerprint started before the run's code loads", () => {
  it("is the repository as it was when prefetched, handed out once; later ones are read anew", async () => {
    const r = await makeRepo({ "a.txt": "a\n" });
    repos.push(r);
    await prefetchRun(join(r.root, "."));
    writeFileSync(join(r.root, "b.txt"), "b\n");
    expect(dirtyEntries(await preflightFingerprint(r.root))).toEqual([]);
    // Taken once: the next run (a goal's task, a second start in one process) reads its own.
    expect(dirtyEntries(await preflightFingerprint(r.root))).toEqual(["?? b.txt"]);
  });

  it("prefetches nothing outside a repository: the run's own read reports the error", async () => {
    const dir = makeTempDir("omk-nogit-");
    try {
      expect(prefetchRun(dir)).toBeUndefined();
      expect(prefetchRun(join(dir, "missing"))).toBeUndefined();
      await expect(preflightFingerprint(dir)).rejects.toThrow(/not a git repository/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
