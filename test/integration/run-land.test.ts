import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunDoc } from "../helpers/cli.js";
import { ledgerProblems, type Project, project } from "../helpers/project.js";

interface LandDoc {
  ok: boolean;
  commit?: string;
  fastForward?: boolean;
  regated?: boolean;
  error?: { code: string; message: string };
}

describe("omk land", () => {
  let p: Project;
  let gateLog: string;
  beforeEach(async () => {
    p = await project({ "shared.txt": "ok base\n" }, { gates: [{ name: "txt-budget", args: ["gate.mjs"] }] });
    gateLog = join(p.sb.dir, "gate.log");
    // Every top-level .txt must say "ok", and there may be at most `max-txt` of them. Logs where it ran.
    p.repo.write({
      "gate.mjs": `import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
appendFileSync(${JSON.stringify(gateLog)}, process.cwd() + "\\n");
const txt = readdirSync(".").filter((f) => f.endsWith(".txt"));
const bad = txt.filter((f) => !readFileSync(f, "utf8").includes("ok"));
if (bad.length > 0) { console.error("not ok: " + bad.join(", ")); process.exit(1); }
if (existsSync("max-txt") && txt.length > Number(readFileSync("max-txt", "utf8"))) {
  console.error("too many .txt files"); process.exit(1);
}
`,
    });
    p.repo.commitAll("gate with a budget");
  });
  afterEach(async () => {
    await p.cleanup();
  });

  const head = () => p.repo.git(["rev-parse", "HEAD"]);
  const land = async (runId: string, extra: string[] = []) => {
    const r = await p.omk(["land", runId, "--json", ...extra]);
    return { code: r.code, doc: r.json<LandDoc>(), stderr: r.stderr };
  };
  const landed = (runId: string) => p.ledger(runId).filter((l) => l.kind === "Landed");
  const readyRun = async (files: Record<string, string>): Promise<RunDoc> => {
    const { doc } = await p.execRun(p.writerAgent(`agent-${Object.keys(files).join("-")}`, files), {
      task: "add a file",
    });
    expect(doc.status, doc.reasons.join("; ")).toBe("ready");
    return doc;
  };
  const expectRefused = (r: Awaited<ReturnType<typeof land>>, pattern: RegExp) => {
    expect(r.code, r.stderr).toBe(1);
    expect(r.doc.ok).toBe(false);
    expect(r.doc.error?.code).toBe("LAND_REFUSED");
    expect(r.doc.error?.message).toMatch(pattern);
    expect(r.stderr).toContain("[LAND_REFUSED]");
  };
  /** Nothing of a refused land is left behind: same HEAD, clean tree, no throwaway worktree, no Landed. */
  const expectUntouched = (runId: string, mainHead: string) => {
    expect(head()).toBe(mainHead);
    expect(p.repo.git(["status", "--porcelain"])).toBe("");
    expect(readdirSync(join(p.repo.root, ".omk", "worktrees")).filter((n) => n.startsWith("land-"))).toEqual(
      [],
    );
    expect(landed(runId)).toEqual([]);
  };

  it("refuses a not_ready run, naming its status and reason", async () => {
    const { doc: run } = await p.execRun(p.writerAgent("bad", { "bad.txt": "bad\n" }), {
      task: "write a bad file",
      args: ["-n", "1"],
    });
    expect(run.status).toBe("not_ready");
    const before = head();
    const r = await land(run.runId);
    expectRefused(r, /not_ready/);
    for (const reason of run.reasons) expect(r.doc.error?.message).toContain(reason);
    expectUntouched(run.runId, before);
  });

  it("fast-forwards a ready run onto main, records Landed; landing it twice is nothing to do", async () => {
    const run = await readyRun({ "feature.txt": "ok feature\n" });
    const r = await land(run.runId);
    expect(r.code, r.stderr).toBe(0);
    // The gates re-ran on the exact commit before the branch moved: the ledger alone is no evidence.
    expect(r.doc).toMatchObject({ ok: true, fastForward: true, regated: true, commit: run.headCommit });
    expect(head()).toBe(run.headCommit);
    expect(readFileSync(join(p.repo.root, "feature.txt"), "utf8")).toBe("ok feature\n");
    expect(landed(run.runId).map((l) => l.data)).toEqual([
      expect.objectContaining({ commit: run.headCommit, fastForward: true, regated: true, onto: "main" }),
    ]);
    expect(await ledgerProblems(p.runDir(run.runId))).toEqual([]);

    // Landing it again is nothing to do: exit 0, nothing moves, no second Landed.
    const again = await land(run.runId);
    expect(again.code, again.stderr).toBe(0);
    expect(again.doc).toMatchObject({ ok: true, alreadyLanded: true, commit: run.headCommit });
    expect(again.stderr).toMatch(/already landed as \w+: nothing to do/);
    expect(head()).toBe(run.headCommit);
    expect(landed(run.runId)).toHaveLength(1);
  });

  it("base moved: ff-only refuses; --merge re-runs the gates on the merge and makes a merge commit", async () => {
    const run = await readyRun({ "feature.txt": "ok feature\n" });
    p.repo.write({ "other.md": "unrelated change on main\n" });
    const moved = p.repo.commitAll("unrelated");

    const ff = await land(run.runId);
    expectRefused(ff, /moved since the run started.*cannot fast-forward/);
    expectUntouched(run.runId, moved);

    const gateRunsBefore = readFileSync(gateLog, "utf8").split("\n").length;
    const r = await land(run.runId, ["--merge"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc).toMatchObject({ ok: true, fastForward: false, regated: true });
    const merge = head();
    expect(r.doc.commit).toBe(merge);
    expect(p.repo.git(["rev-list", "--parents", "-n", "1", merge]).split(" ").slice(1)).toEqual([
      moved,
      run.headCommit,
    ]);
    expect(p.repo.git(["show", `${merge}:feature.txt`])).toBe("ok feature");
    expect(p.repo.git(["show", `${merge}:other.md`])).toBe("unrelated change on main");
    // The gate ran again, in a gate workspace reset to the merge result; the throwaway worktree the
    // merge was made in is gone afterwards.
    const newRuns = readFileSync(gateLog, "utf8")
      .split("\n")
      .slice(gateRunsBefore - 1)
      .filter(Boolean);
    expect(newRuns).toHaveLength(1);
    expect(newRuns[0]).toContain(join(".omk", "worktrees", "gates-"));
    expect(readdirSync(join(p.repo.root, ".omk", "worktrees")).filter((n) => n.startsWith("land-"))).toEqual(
      [],
    );
    expect(landed(run.runId).map((l) => l.data)).toEqual([
      expect.objectContaining({ commit: merge, fastForward: false, regated: true, mode: "merge" }),
    ]);
    expect(p.repo.git(["status", "--porcelain"])).toBe("");
  });

  it("--merge refuses a conflicting base change, naming the file", async () => {
    const run = await readyRun({ "shared.txt": "ok from the run\n" });
    p.repo.write({ "shared.txt": "ok from main\n" });
    const moved = p.repo.commitAll("conflicting");
    const r = await land(run.runId, ["--merge"]);
    expectRefused(r, /conflicts in: .*shared\.txt/);
    expectUntouched(run.runId, moved);
  });

  it("--merge refuses when the gates fail on the merge result, naming the gate", async () => {
    const run = await readyRun({ "feature.txt": "ok feature\n" });
    // Fine on main alone (one .txt) and on the run alone (no budget), too many .txt files merged.
    p.repo.write({ "max-txt": "1\n" });
    const moved = p.repo.commitAll("budget of one .txt");
    const r = await land(run.runId, ["--merge"]);
    expectRefused(r, /gates fail on the merge result: txt-budget \(fail\)/);
    expectUntouched(run.runId, moved);
  });
});
