import { existsSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { answerProject, type Project } from "../helpers/project.js";

describe("omk cleanup (finished runs)", () => {
  let h: Project;
  beforeEach(async () => {
    h = await answerProject({ "answer.txt": "0\n" });
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it("removes a finished run's worktree and keeps its branch, ledger and proof", async () => {
    const { doc } = await h.execRun(h.writerAgent("agent", { "answer.txt": "42\n" }));
    expect(doc.status).toBe("ready");
    expect(existsSync(doc.worktree)).toBe(true);

    const r = await h.omk(["cleanup", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const { items } = r.json<{ items: { runId: string; action: string }[] }>();
    expect(items).toEqual([expect.objectContaining({ runId: doc.runId, action: "removed" })]);
    expect(existsSync(doc.worktree)).toBe(false);
    expect(h.repo.git(["worktree", "list", "--porcelain"])).not.toContain(doc.worktree);
    expect(h.repo.git(["rev-parse", doc.branch])).toBe(doc.headCommit);
    expect(existsSync(doc.proofPath!)).toBe(true);

    // The record survives the cleanup: the proof still verifies (gates re-run in a fresh worktree) and the run lands.
    const v = await h.omk(["proof", "verify", doc.runId, "--json"]);
    expect(v.code, v.stdout).toBe(0);
    const land = await h.omk(["land", doc.runId]);
    expect(land.code, land.stderr).toBe(0);
    expect(h.repo.git(["rev-parse", "main"])).toBe(doc.headCommit);

    const again = await h.omk(["cleanup", "--json"]);
    expect(again.json<{ items: unknown[] }>().items).toEqual([]);
  });
});
