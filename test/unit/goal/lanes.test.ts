import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { prepareLane } from "../../../src/goal/lanes.js";
import { makeRepo, makeTempDir, runGit, type TestRepo } from "../../helpers/git-repo.js";

/** A lane is reset when it is still the worktree omk made, and made again when it is not. */
describe("prepareLane", () => {
  let repo: TestRepo;
  afterEach(async () => {
    await repo.cleanup();
  });

  const gitFile = (lane: string) => {
    const st = statSync(join(lane, ".git"));
    return `${st.ino}:${st.birthtimeMs}`;
  };

  it("creates a lane once, then resets it: the agent's files go, the worktree stays", async () => {
    repo = await makeRepo({ "a.txt": "a\n" });
    const base = repo.git(["rev-parse", "HEAD"]);
    const lane = join(repo.root, ".omk", "worktrees", "lane-0");
    expect(await prepareLane(repo.root, lane, base)).toBe("created");
    const id = gitFile(lane);
    writeFileSync(join(lane, "a.txt"), "edited\n");
    writeFileSync(join(lane, "left.log"), "x\n");
    expect(await prepareLane(repo.root, lane, base)).toBe("reset");
    expect(gitFile(lane)).toBe(id);
    expect(readFileSync(join(lane, "a.txt"), "utf8")).toBe("a\n");
    expect(existsSync(join(lane, "left.log"))).toBe(false);
  });

  it("makes a lane again when its .git names another git dir, and never runs git in that one", async () => {
    repo = await makeRepo({ "a.txt": "a\n" });
    const base = repo.git(["rev-parse", "HEAD"]);
    const lane = join(repo.root, ".omk", "worktrees", "lane-0");
    await prepareLane(repo.root, lane, base);
    const foreign = makeTempDir("omk-foreign-");
    runGit(foreign, ["init", "-q"]);
    writeFileSync(join(lane, ".git"), `gitdir: ${join(foreign, ".git")}\n`);
    const before = readFileSync(join(foreign, ".git", "HEAD"), "utf8");
    expect(await prepareLane(repo.root, lane, base)).toBe("created");
    expect(readFileSync(join(lane, ".git"), "utf8")).toContain(join(repo.root, ".git", "worktrees"));
    expect(existsSync(join(foreign, ".git", "index"))).toBe(false);
    expect(readFileSync(join(foreign, ".git", "HEAD"), "utf8")).toBe(before);
    rmSync(foreign, { recursive: true, force: true });
  });

  it("resets the lanes of a repository whose git dir lives elsewhere (--separate-git-dir)", async () => {
    repo = await makeRepo({ "a.txt": "a\n" });
    const root = makeTempDir("omk-separate-");
    const work = join(root, "work");
    mkdirSync(work);
    runGit(work, ["init", "-q", "-b", "main", "--separate-git-dir", join(root, "gitdir")]);
    writeFileSync(join(work, "a.txt"), "a\n");
    runGit(work, ["add", "-A"]);
    runGit(work, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init"]);
    const base = runGit(work, ["rev-parse", "HEAD"]);
    const lane = join(work, ".omk", "worktrees", "lane-0");
    expect(await prepareLane(work, lane, base)).toBe("created");
    const id = gitFile(lane);
    expect(await prepareLane(work, lane, base)).toBe("reset");
    expect(gitFile(lane)).toBe(id);
    rmSync(root, { recursive: true, force: true });
  });
});
