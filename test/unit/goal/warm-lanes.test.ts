import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startableAtOnce, warmLanes } from "../../../src/goal/warm-lanes.js";
import { acquireLane } from "../../../src/project/lane-pool.js";
import { locateProject } from "../../../src/project/locate.js";
import { makeRepo, makeTempDir, type TestRepo } from "../../helpers/git-repo.js";

describe("startableAtOnce", () => {
  it("counts the proposals without dependencies, at most the lanes, whatever else the plan holds", () => {
    const plan = [
      { id: "a", deps: [] },
      { id: "b" },
      { id: "c", deps: ["a"] },
      null,
      "junk",
      { id: "d", deps: "not a list" },
      { id: "e", deps: [] },
    ];
    expect(startableAtOnce(plan, 8)).toBe(3);
    expect(startableAtOnce(plan, 2)).toBe(2);
    expect(startableAtOnce([], 4)).toBe(0);
  });
});

describe("warmLanes", () => {
  let repo: TestRepo;
  afterEach(async () => {
    await repo.cleanup();
  });

  it("takes lane n's own slot, resets it to the commit once, and gives every lane back", async () => {
    repo = await makeRepo({ "a.txt": "a\n" });
    const base = repo.git(["rev-parse", "HEAD"]);
    const project = await locateProject(repo.root, { XDG_STATE_HOME: makeTempDir("omk-warm-state-") });
    // Lane 0 exists from an earlier goal, with that goal's leftovers in it.
    const earlier = warmLanes(project, base, 1);
    const lane0 = (await earlier.worktrees.get(0)!).dir;
    expect(await earlier.takeReset(0)?.done).toBe(true);
    await earlier.release();
    writeFileSync(join(lane0, "a.txt"), "left by an agent\n");
    writeFileSync(join(lane0, "junk.log"), "x\n");

    const warm = warmLanes(project, base, 2);
    const dirs = await Promise.all([0, 1].map((n) => warm.worktrees.get(n)!.then((w) => w.dir)));
    expect(dirs.map((d) => d.split("/").at(-1))).toEqual(["lane-0", "lane-1"]);
    expect(await warm.takeReset(0)?.done).toBe(true);
    // Handed out once: the lane's first task skips its reset, a later one resets again.
    expect(warm.takeReset(0)).toBeUndefined();
    const lane1 = warm.takeReset(1);
    expect(lane1?.commit).toBe(base);
    expect(await lane1?.done).toBe(true);
    expect(readFileSync(join(dirs[0]!, "a.txt"), "utf8")).toBe("a\n");
    expect(existsSync(join(dirs[0]!, "junk.log"))).toBe(false);
    expect(warm.worktrees.has(2)).toBe(false);

    await warm.release();
    // Released: the next holder gets slot 0 again, not the next free one.
    const again = await acquireLane(project, 0);
    expect(again.dir).toBe(dirs[0]);
    await again.release();
  });
});
