import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recoverIntegration } from "../../../src/goal/integrate.js";
import { GoalJournal } from "../../../src/goal/journal.js";
import { makeRepo, type TestRepo } from "../../helpers/git-repo.js";

const choice = { name: "exec", bin: null, args: [], model: null };
const BRANCH = "omk/goal/goal-abc-def/integration";

/**
 * A goal killed after task t's run finished: its commit is recorded, no merge is. What is on the
 * integration branch decides whether a merge happened — only when it is exactly what omk would make.
 */
describe("recoverIntegration", () => {
  let repo: TestRepo;
  let state: string;
  let journal: GoalJournal;
  let base: string;
  let other: string;
  let task: string;

  beforeEach(async () => {
    repo = await makeRepo({ "README.md": "base\n" });
    base = repo.git(["rev-parse", "HEAD"]);
    // The integration head moved past base (another task), and t's commit was built on base.
    repo.write({ "other.txt": "other\n" });
    other = repo.commitAll("other task");
    repo.git(["checkout", "-q", "--detach", base]);
    repo.write({ "t.txt": "t\n" });
    task = repo.commitAll("task t");
    repo.git(["checkout", "-q", "main"]);
    state = mkdtempSync(join(tmpdir(), "omk-recover-"));
    journal = await GoalJournal.create(join(state, "g"), "goal-abc-def", {
      goalId: "goal-abc-def",
      goal: "g",
      root: repo.root,
      projectId: "p",
      base,
      baseBranch: "main",
      integrationBranch: BRANCH,
      lanes: 1,
      agent: choice,
      planner: null,
      planFile: null,
      acceptPartial: false,
      portBase: 20000,
      portSpan: 100,
      maxAttempts: null,
      omkVersion: null,
    });
    await journal.append("PlanReceived", {
      source: "file",
      sha256: "a".repeat(64),
      bytes: 1,
      repaired: false,
      accepted: 2,
      rejected: 0,
    });
    for (const [index, id, write] of [
      [0, "o", "other.txt"],
      [1, "t", "t.txt"],
    ] as const)
      await journal.append("TaskAccepted", {
        index,
        task: { id, title: id, prompt: id, deps: [], readSet: [], writeSet: [write] },
      });
    await journal.append("IntegrationMerged", {
      taskId: "o",
      runId: "run-o",
      commit: other,
      prev: base,
      head: other,
      fastForward: true,
    });
    await journal.append("TaskClaimed", { taskId: "t", lane: 0, base, claim: 1 });
    await journal.append("TaskFinished", {
      taskId: "t",
      runId: "run-t",
      status: "ready",
      commit: task,
      reasons: [],
    });
  });
  afterEach(async () => {
    await journal.close();
    rmSync(state, { recursive: true, force: true });
    await repo.cleanup();
  });

  function merge(extra: Record<string, string> = {}): string {
    const dir = mkdtempSync(join(tmpdir(), "omk-recover-wt-"));
    rmSync(dir, { recursive: true });
    repo.git(["worktree", "add", "-q", "--detach", dir, other]);
    repo.git(["merge", "-q", "--no-ff", "--no-edit", task], dir);
    if (Object.keys(extra).length > 0) {
      repo.write(extra, dir);
      repo.git(["add", "-A"], dir);
      repo.git(["commit", "-q", "--amend", "--no-edit"], dir);
    }
    const c = repo.git(["rev-parse", "HEAD"], dir);
    repo.git(["worktree", "remove", "--force", dir]);
    return c;
  }

  it("records the merge omk made before it died, once", async () => {
    const m = merge();
    repo.git(["update-ref", `refs/heads/${BRANCH}`, m]);
    expect(await recoverIntegration(journal, repo.root)).toEqual(["t"]);
    expect(journal.state.head).toBe(m);
    expect(journal.state.tasks.get("t")!.status).toBe("integrated");
    expect(await recoverIntegration(journal, repo.root)).toEqual([]);
  });

  it("believes no forged ref: a merge with more in it, or a commit with the task's as an ancestor", async () => {
    const forged = merge({ "evil.txt": "evil\n" });
    repo.git(["update-ref", `refs/heads/${BRANCH}`, forged]);
    expect(await recoverIntegration(journal, repo.root)).toEqual([]);
    repo.git(["checkout", "-q", "--detach", task]);
    repo.write({ "evil.txt": "evil\n" });
    const onTop = repo.commitAll("on top of the task");
    repo.git(["update-ref", `refs/heads/${BRANCH}`, onTop]);
    expect(await recoverIntegration(journal, repo.root)).toEqual([]);
    expect(journal.state.head).toBe(other);
  });
});
