import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newId } from "../../src/core/ids.js";
import { kinds, type Project, project } from "../helpers/project.js";

// `omk run` checks out the run's worktree while its code loads, before the run exists; these are the
// ways that worktree must not outlive a run that never started.
describe("the worktree a run from HEAD checks out before it starts (built CLI)", () => {
  let p: Project;
  beforeEach(async () => {
    p = await project({ "README.md": "base\n" });
  });
  afterEach(async () => {
    await p.cleanup();
  });

  const branches = () =>
    p.repo
      .git(["for-each-ref", "--format=%(refname:short)", "refs/heads/omk/run/"])
      .split("\n")
      .filter(Boolean);
  // Run worktrees (the project's gate workspace lives beside them).
  const worktrees = () => {
    const dir = join(p.repo.root, ".omk", "worktrees");
    return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith("run-")) : [];
  };
  const gitWorktrees = () =>
    p.repo
      .git(["worktree", "list", "--porcelain"])
      .split("\n")
      .filter((l) => l.startsWith("worktree "));

  it("is the run's own worktree when the run starts: same id, made by this run, seeded for the snapshot", async () => {
    const { doc } = await p.execRun(p.writerAgent("ok", { "a.txt": "ok\n" }));
    expect(doc.status).toBe("ready");
    expect(worktrees()).toEqual([doc.runId]);
    expect(branches()).toEqual([doc.branch]);
    const ready = p.ledger(doc.runId).find((l) => l.kind === "WorkspaceReady");
    expect(ready?.data).toMatchObject({
      how: "created",
      worktree: join(p.repo.root, ".omk", "worktrees", doc.runId),
    });
    expect(kinds(p.ledger(doc.runId))[0]).toBe("RunStarted");
  });

  it("goes again when the run is refused for a dirty tree: no worktree, branch or run is left", async () => {
    writeFileSync(join(p.repo.root, "notes.txt"), "mine\n");
    const before = gitWorktrees();
    const r = await p.omk([
      "run",
      "--json",
      "--agent",
      "exec",
      "--agent-bin",
      p.writerAgent("w", { "a.txt": "x\n" }),
      "task",
    ]);
    expect(r.code).toBe(2);
    expect(r.json<{ error: { code: string } }>().error.code).toBe("DIRTY_TREE");
    expect(existsSync(join(p.repo.root, ".omk", "worktrees"))).toBe(false);
    expect(branches()).toEqual([]);
    expect(gitWorktrees()).toEqual(before);
    expect((await p.omk(["run", "list", "--json"])).json<{ runs: unknown[] }>().runs).toEqual([]);

    // --allow-dirty starts from HEAD all the same: that run takes the early worktree over.
    const { doc } = await p.execRun(p.writerAgent("ok", { "a.txt": "ok\n" }), { args: ["--allow-dirty"] });
    expect(doc.status).toBe("ready");
    expect(worktrees()).toEqual([doc.runId]);
  });

  it("goes again when the command fails before any run starts: a flag commander rejects, a bad budget", async () => {
    const agent = p.writerAgent("w", { "a.txt": "x\n" });
    const bad = [
      ["run", "--execution", "bogus", "--agent", "exec", "--agent-bin", agent, "fix it"],
      ["run", "--max-attempts", "99", "--agent", "exec", "--agent-bin", agent, "fix it"],
      ["run", "--agent", "exec", "--agent-bin", agent, "--no-such-flag", "fix it"],
    ];
    for (const args of bad) {
      const r = await p.omk(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(existsSync(join(p.repo.root, ".omk", "worktrees")), args.join(" ")).toBe(false);
      expect(branches()).toEqual([]);
    }
    expect(gitWorktrees()).toHaveLength(1);
  });

  it("is not made for a run from another commit (--base): that run checks out its own", async () => {
    const { doc } = await p.execRun(p.writerAgent("ok", { "a.txt": "ok\n" }), { args: ["--base", p.base] });
    expect(doc.status).toBe("ready");
    expect(worktrees()).toEqual([doc.runId]);
    expect(branches()).toEqual([doc.branch]);
  });

  it("cleanup --all removes one whose omk was killed before its run existed, once it is a minute old", async () => {
    // What a SIGKILL between the checkout and the run's ledger leaves: a worktree and a branch, no run.
    const old = newId("run", new Date(Date.now() - 5 * 60_000));
    const recent = newId("run");
    for (const id of [old, recent])
      p.repo.git(["worktree", "add", "-q", "-b", `omk/run/${id}`, join(".omk", "worktrees", id), "HEAD"]);

    const plain = await p.omk(["cleanup", "--json"]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(worktrees().sort()).toEqual([old, recent].sort());

    const all = await p.omk(["cleanup", "--all", "--json"]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.json<{ items: { runId: string; action: string; reason: string }[] }>().items).toEqual([
      { runId: old, action: "removed", reason: expect.stringMatching(/never started/) },
    ]);
    // A run that may be starting right now keeps its worktree.
    expect(worktrees()).toEqual([recent]);
    expect(branches()).toEqual([`omk/run/${recent}`]);
    expect(gitWorktrees()).toHaveLength(2);
  });
});
