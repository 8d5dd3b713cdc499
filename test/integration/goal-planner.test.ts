import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ledgerLines, ofKind, type Project, project } from "../helpers/project.js";

const PLAN = {
  tasks: [
    { id: "one", title: "one", prompt: "write one.txt", deps: [], read_set: [], write_set: ["one.txt"] },
    {
      id: "two",
      title: "two",
      prompt: "write two.txt",
      deps: ["one"],
      read_set: ["one.txt"],
      write_set: ["two.txt"],
    },
  ],
};

describe("omk goal planner", () => {
  let p: Project;
  afterEach(async () => {
    await p.cleanup();
  });

  function goalLedger(goalId: string) {
    const projects = join(p.sb.dir, "state", "omk", "projects");
    for (const proj of readdirSync(projects)) {
      const d = join(projects, proj, "goals", goalId);
      if (existsSync(d)) return ledgerLines(d);
    }
    throw new Error(`no goal ${goalId}`);
  }

  function worker(): string {
    return p.script(
      "worker",
      `import { writeFileSync } from "node:fs";
writeFileSync(process.env.OMK_GOAL_TASK + ".txt", "ok\\n");
`,
    );
  }

  it("every goal command's --help has examples; bare `omk goal` prints its help", async () => {
    p = await project({ "README.md": "help\n" });
    for (const c of [
      "run",
      "resume",
      "accept",
      "list",
      "show",
      "pause",
      "cancel",
      "reject",
      "logs",
      "budget",
    ]) {
      const r = await p.omk(["goal", c, "--help"]);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toContain("Examples:");
    }
    const bare = await p.omk(["goal"]);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toContain("omk goal run");
  });

  it("refuses a goal in a project without gates before any work (exit 2)", async () => {
    p = await project({ "README.md": "no gates\n" }, { gates: [] });
    const planner = p.script("planner", `console.log(${JSON.stringify(JSON.stringify(PLAN))});\n`);
    const r = await p.omk([
      "goal",
      "run",
      "--planner",
      "exec",
      "--planner-bin",
      planner,
      "--agent",
      "exec",
      "--agent-bin",
      worker(),
      "x",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no gates");
    expect(existsSync(join(p.sb.dir, "state", "omk", "projects"))).toBe(false);
  });

  it("refuses a goal whose task agent is missing before anything is recorded", async () => {
    p = await project({ "README.md": "no agent\n" });
    const plan = join(p.sb.dir, "plan.json");
    writeFileSync(plan, JSON.stringify(PLAN));
    const r = await p.omk([
      "goal",
      "run",
      "--plan",
      plan,
      "--agent",
      "exec",
      "--agent-bin",
      join(p.sb.dir, "nope.mjs"),
      "x",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("AGENT_NOT_FOUND");
    expect(existsSync(join(p.sb.dir, "state", "omk", "projects"))).toBe(false);
  });

  it("asks the planner with .omk/prompts/plan.md (the goal filled in) and runs its fenced JSON plan", async () => {
    p = await project({
      "README.md": "planner base\n",
      ".omk/prompts/plan.md": "CUSTOM PLAN PROMPT\\nGoal: {{goal}}\\nLimits: {{limits}}\n",
    });
    const planner = p.script(
      "planner",
      `let input = "";
for await (const c of process.stdin) input += c;
if (!input.includes("CUSTOM PLAN PROMPT") || !input.includes("Goal: make two files")) {
  console.log("wrong prompt: " + input.slice(0, 200));
  process.exit(0);
}
console.log("Here is the plan:");
console.log("\`\`\`json");
console.log(${JSON.stringify(JSON.stringify(PLAN, null, 2))});
console.log("\`\`\`");
`,
    );
    const r = await p.omk(
      [
        "goal",
        "run",
        "--json",
        "--planner",
        "exec",
        "--planner-bin",
        planner,
        "--agent",
        "exec",
        "--agent-bin",
        worker(),
        "make",
        "two",
        "files",
      ],
      { timeoutMs: 240_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ goalId: string; status: string; tasks: { id: string; status: string }[] }>();
    expect(doc.tasks).toEqual([
      expect.objectContaining({ id: "one", status: "integrated" }),
      expect.objectContaining({ id: "two", status: "integrated" }),
    ]);
    const received = ofKind(goalLedger(doc.goalId), "PlanReceived")[0]!;
    expect(received.data).toMatchObject({ source: "planner", repaired: false });
  });

  it("gives an answer that is not valid JSON one repair round with the errors", async () => {
    p = await project({ "README.md": "planner base\n" });
    const planner = p.script(
      "planner",
      `let input = "";
for await (const c of process.stdin) input += c;
if (process.env.OMK_ATTEMPT === "1") { console.log("{ tasks: [oops"); process.exit(0); }
if (!input.includes("not a valid plan") || !input.includes("not valid JSON")) { console.log("no errors given"); process.exit(0); }
console.log(${JSON.stringify(JSON.stringify(PLAN))});
`,
    );
    const r = await p.omk(
      [
        "goal",
        "run",
        "--json",
        "--planner",
        "exec",
        "--planner-bin",
        planner,
        "--agent",
        "exec",
        "--agent-bin",
        worker(),
        "repair me",
      ],
      { timeoutMs: 240_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ goalId: string }>();
    expect(ofKind(goalLedger(doc.goalId), "PlanReceived")[0]!.data["repaired"]).toBe(true);
  });

  it("fails with the validation errors when the repaired answer is still not a plan (exit 2, no task runs)", async () => {
    p = await project({ "README.md": "planner base\n" });
    const planner = p.script(
      "planner",
      `console.log(process.env.OMK_ATTEMPT === "1" ? "no json here" : '{"tasks": "nope"}');\n`,
    );
    const r = await p.omk(
      [
        "goal",
        "run",
        "--json",
        "--planner",
        "exec",
        "--planner-bin",
        planner,
        "--agent",
        "exec",
        "--agent-bin",
        worker(),
        "never",
      ],
      { timeoutMs: 240_000 },
    );
    expect(r.code).toBe(2);
    const err = r.json<{ error: { code: string; message: string; hint: string } }>();
    expect(JSON.stringify(err)).toContain("PLAN_INVALID");
    expect(JSON.stringify(err)).toContain("after one repair round");
    expect(JSON.stringify(err)).toContain("not valid JSON");
    expect(p.repo.git(["branch", "--list", "omk/run/*"])).toBe("");
  });
});
