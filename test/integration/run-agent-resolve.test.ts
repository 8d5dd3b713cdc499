import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Project, project } from "../helpers/project.js";

describe("an agent that does not resolve leaves nothing behind (built CLI)", () => {
  let p: Project;
  beforeEach(async () => {
    p = await project({ "README.md": "base\n" });
  });
  afterEach(async () => {
    await p.cleanup();
  });

  const branches = () => p.repo.git(["branch", "--list", "omk/run/*"]).split("\n").filter(Boolean);
  const worktrees = () => {
    const dir = join(p.repo.root, ".omk", "worktrees");
    return existsSync(dir) ? readdirSync(dir) : [];
  };

  it("--agent nope, replay:nosuch and replay:./missing.json fail before any run dir, worktree or branch exists", async () => {
    const { doc } = await p.execRun(p.writerAgent("ok", { "a.txt": "ok\n" }));
    const runsDir = dirname(p.runDir(doc.runId));
    const before = { runs: readdirSync(runsDir), worktrees: worktrees(), branches: branches() };

    const nope = await p.omk(["run", "--agent", "nope", "--json", "do", "it"]);
    expect(nope.code).toBe(2);
    expect(nope.stderr).toMatch(/Unknown agent adapter: nope/);

    const nosuch = await p.omk(["run", "--agent", "replay:nosuch", "do", "it"]);
    expect(nosuch.code).toBe(2);
    expect(nosuch.stderr).toMatch(/no run "nosuch" in this project/);

    const missing = await p.omk(["run", "--agent", "replay:./missing.json", "--json", "do", "it"]);
    expect(missing.code).toBe(2);
    const error = missing.json<{ error: { code: string; message: string; hint: string } }>().error;
    expect(error).toMatchObject({
      code: "USAGE",
      message: `no such recording file: ${join(p.repo.root, "missing.json")}`,
      hint: expect.stringContaining("omk run export"),
    });
    expect(missing.stderr).not.toMatch(/no run/);

    expect({ runs: readdirSync(runsDir), worktrees: worktrees(), branches: branches() }).toEqual(before);
    // `last` and a prefix still name the one run.
    expect((await p.omk(["run", "show", "last"])).stdout).toContain(`run ${doc.runId}: ready`);
    expect((await p.omk(["run", "show", "run-"])).code).toBe(0);
  });

  it("cleanup --all removes run dirs with no ledger or an empty one (older versions' leftovers)", async () => {
    const { doc } = await p.execRun(p.writerAgent("ok", { "a.txt": "ok\n" }));
    const runsDir = dirname(p.runDir(doc.runId));
    // Names that sort after every real id, as a later run's would.
    mkdirSync(join(runsDir, "run-zzzz-empty-dir"), { recursive: true });
    mkdirSync(join(runsDir, "run-zzzz-empty-ledger", "artifacts"), { recursive: true });
    writeFileSync(join(runsDir, "run-zzzz-empty-ledger", "events.jsonl"), "");
    expect((await p.omk(["run", "show", "last"])).code).not.toBe(0);
    expect((await p.omk(["run", "show", "run-"])).stderr).toMatch(/ambiguous: it matches 3 runs/);

    const plain = await p.omk(["cleanup", "--json"]);
    expect(plain.code).toBe(0);
    expect(plain.json<{ items: { runId: string; action: string; reason: string }[] }>().items).toEqual(
      expect.arrayContaining([
        { runId: "run-zzzz-empty-dir", action: "kept", reason: expect.stringMatching(/no ledger.*--all/) },
      ]),
    );
    expect(existsSync(join(runsDir, "run-zzzz-empty-dir"))).toBe(true);

    const all = await p.omk(["cleanup", "--all", "--json"]);
    expect(all.code, all.stderr).toBe(0);
    const items = all.json<{ items: { runId: string; action: string }[] }>().items;
    expect(items.filter((i) => i.runId.startsWith("run-zzzz"))).toEqual([
      expect.objectContaining({ runId: "run-zzzz-empty-dir", action: "removed" }),
      expect.objectContaining({ runId: "run-zzzz-empty-ledger", action: "removed" }),
    ]);
    expect(readdirSync(runsDir)).toEqual([doc.runId]);
    expect((await p.omk(["run", "show", "last"])).stdout).toContain(`run ${doc.runId}: ready`);
    expect((await p.omk(["run", "show", "run-"])).code).toBe(0);
    // The real run's record is untouched.
    expect((await p.proofVerify(doc.runId, ["--no-gates"])).code).toBe(0);
  });
});
