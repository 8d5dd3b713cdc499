import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyLedger } from "../../src/store/ledger/read.js";
import { ledgerLines, ofKind, type Project, project, waitFor } from "../helpers/project.js";

const TRIALS = 10;
/** Where each trial kills omk: after this many goal ledger events (spread over plan, lanes, merges, gates). */
const KILL_AFTER = [3, 5, 7, 9, 11, 13, 15, 17, 18, 19];

describe("omk goal after kill -9", () => {
  let p: Project;
  beforeEach(async () => {
    p = await project({ "README.md": "crash base\n" });
  });
  afterEach(async () => {
    await p.cleanup();
  });

  function goalDirs(): string[] {
    const projects = join(p.sb.dir, "state", "omk", "projects");
    if (!existsSync(projects)) return [];
    return readdirSync(projects).flatMap((proj) => {
      const g = join(projects, proj, "goals");
      return existsSync(g) ? readdirSync(g).map((id) => join(g, id)) : [];
    });
  }

  it(`resumes to ready with every task integrated exactly once, in ${TRIALS} trials killed at different points`, async () => {
    const agent = p.script(
      "crash-agent",
      `import { writeFileSync } from "node:fs";
const id = process.env.OMK_GOAL_TASK;
await new Promise((r) => setTimeout(r, 150));
writeFileSync(id + "-" + process.env.OMK_GOAL_ID + ".txt", "ok " + id + "\\n");
`,
    );
    let kills = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const plan = join(p.sb.dir, "plan.json");
      const w = (id: string) => [`${id}-*.txt`];
      writeFileSync(
        plan,
        JSON.stringify({
          tasks: [
            { id: "a", title: "a", prompt: "a", deps: [], read_set: [], write_set: w("a") },
            { id: "b", title: "b", prompt: "b", deps: ["a"], read_set: [], write_set: w("b") },
            { id: "c", title: "c", prompt: "c", deps: [], read_set: [], write_set: w("c") },
          ],
        }),
      );
      const before = new Set(goalDirs());
      let pid = 0;
      const running = p.omk(
        ["goal", "run", "--plan", plan, "--agent", "exec", "--agent-bin", agent, "--lanes", "2", "crash me"],
        { onSpawn: (x) => (pid = x), timeoutMs: 120_000 },
      );
      const dir = await waitFor("the goal's ledger", () => goalDirs().find((d) => !before.has(d)) ?? null);
      const killAt = KILL_AFTER[trial]!;
      const killed = await Promise.race([
        waitFor(`${killAt} goal events`, () => ledgerLines(dir).length >= killAt, 60_000).then(() => {
          process.kill(pid, "SIGKILL");
          return true;
        }),
        running.then(() => false),
      ]);
      await running;
      // The latest kill points race the goal's last few events: a goal may finish between two polls.
      // Such a trial still checks that resume of a finished goal changes nothing; most must be real kills.
      if (killed) kills++;
      const goalId = dir.split("/").at(-1)!;
      const finishedBefore = ledgerLines(dir).some((l) => l.kind === "GoalFinished");
      const r = await p.omk(["goal", "resume", goalId, "--json"], { timeoutMs: 120_000 });
      const doc = r.json<{ status: string; tasks: { id: string; status: string }[] }>();
      expect(doc.status, `trial ${trial} (killed: ${killed}): ${r.stderr}`).toBe("ready");
      const lines = ledgerLines(dir);
      // A goal killed after its verdict only lacked its proof: nothing to resume but that.
      expect(ofKind(lines, "GoalResumed"), `trial ${trial}`).toHaveLength(finishedBefore ? 0 : 1);
      expect(ofKind(lines, "GoalProofWritten"), `trial ${trial}`).toHaveLength(1);
      const merged = ofKind(lines, "IntegrationMerged").map((l) => l.data["taskId"]);
      expect([...merged].sort(), `trial ${trial}`).toEqual(["a", "b", "c"]);
      const problems = (await verifyLedger(dir)).problems;
      expect(problems, `trial ${trial}`).toEqual([]);
      for (const runId of ofKind(lines, "TaskRunStarted").map((l) => l.data["runId"] as string)) {
        const chain = (await verifyLedger(p.runDir(runId))).problems.filter((x) => x.kind !== "torn_tail");
        expect(chain, `trial ${trial} run ${runId}`).toEqual([]);
      }
      // Each task's file is in the integration branch exactly once.
      const branch = `omk/goal/${goalId}/integration`;
      const files = p.repo.git(["ls-tree", "--name-only", branch]).split("\n");
      for (const id of ["a", "b", "c"]) expect(files).toContain(`${id}-${goalId}.txt`);
      expect(JSON.parse(readFileSync(join(dir, "proof.json"), "utf8")).status).toBe("ready");
    }
    expect(kills).toBeGreaterThanOrEqual(TRIALS - 2);
  }, 900_000);
});
