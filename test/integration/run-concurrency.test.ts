import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkOf, kinds, ledgerLines, ledgerProblems, type Project, project } from "../helpers/project.js";

const N = 4;

describe("concurrent omk runs on one repo", () => {
  let p: Project;
  beforeEach(async () => {
    p = await project({ "README.md": "shared base\n" });
  });
  afterEach(async () => {
    await p.cleanup();
  });

  it(`${N} runs at once all end ready on their own branch and worktree, each proof verifies`, async () => {
    const base = p.repo.git(["rev-parse", "HEAD"]);
    const agents = Array.from({ length: N }, (_, i) =>
      p.writerAgent(`agent-${i}`, { [`out-${i}.txt`]: `ok ${i}\n` }),
    );
    const results = await Promise.all(agents.map((a, i) => p.execRun(a, { task: `write out-${i}.txt` })));
    const docs = results.map((x) => x.doc);

    for (const [i, d] of docs.entries())
      expect(d.status, `${JSON.stringify(d)} ${results[i]!.r.stderr}`).toBe("ready");
    const ids = docs.map((d) => d.runId);
    expect(new Set(ids).size).toBe(N);
    expect(new Set(docs.map((d) => d.branch)).size).toBe(N);
    expect(new Set(docs.map((d) => d.worktree)).size).toBe(N);

    // git agrees: N run branches, N registered worktrees, each branch holding exactly its own file on the base.
    const branches = p.repo.git(["branch", "--list", "omk/run/*", "--format=%(refname:short)"]).split("\n");
    expect(branches.sort()).toEqual(docs.map((d) => d.branch).sort());
    const worktrees = p.repo
      .git(["worktree", "list", "--porcelain"])
      .split("\n")
      .filter((l) => l.startsWith("worktree "))
      .map((l) => l.slice("worktree ".length));
    for (const d of docs) expect(worktrees).toContain(d.worktree);
    docs.forEach((d, i) => {
      expect(d.baseCommit).toBe(base);
      expect(p.repo.git(["rev-parse", d.branch])).toBe(d.headCommit);
      expect(p.repo.git(["rev-parse", `${d.branch}^`])).toBe(base);
      expect(p.repo.git(["diff", "--name-only", base, d.branch])).toBe(`out-${i}.txt`);
    });
    // The main checkout is untouched.
    expect(p.repo.git(["rev-parse", "HEAD"])).toBe(base);
    expect(p.repo.git(["status", "--porcelain"])).toBe("");

    // Every ledger is whole and tells one complete story, with no event of another run in it.
    for (const d of docs) {
      const dir = p.runDir(d.runId);
      expect(await ledgerProblems(dir)).toEqual([]);
      const lines = ledgerLines(dir);
      expect(kinds(lines)[0]).toBe("RunStarted");
      expect(kinds(lines)).toContain("GateResult");
      expect(kinds(lines).at(-1)).toBe("ProofWritten");
      expect(lines.every((l) => l.run === d.runId)).toBe(true);
      expect(lines.find((l) => l.kind === "RunFinished")?.data["status"]).toBe("ready");
    }

    const verified = await Promise.all(ids.map((id) => p.proofVerify(id)));
    verified.forEach((v, i) => {
      expect(v.code, JSON.stringify(v.doc.checks)).toBe(0);
      expect(v.doc.ok).toBe(true);
      expect(v.doc.runId).toBe(ids[i]);
      expect(checkOf(v.doc, "gates").ok).toBe(true);
    });

    const list = await p.omk(["run", "list", "--json"]);
    expect(list.code).toBe(0);
    const runs = list.json<{
      runs: { runId: string; status: string; attempts: number; ledgerOk: boolean }[];
    }>().runs;
    expect(runs.map((r) => r.runId).sort()).toEqual([...ids].sort());
    for (const r of runs) expect([r.status, r.attempts, r.ledgerOk]).toEqual(["ready", 1, true]);
  });
});
