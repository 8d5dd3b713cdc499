/**
 * What runs an agent's code outside its turn: `[workspace] setup` in the gate workspace (it installs
 * the agent's lockfile and manifest, whose install scripts are the agent's) and a goal's integration
 * gates (the merged tasks' tests). Confined, neither can write HOME or the main checkout; each
 * attack also runs unconfined as a control, so a pass proves the sandbox stopped it.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { execGoalArgs, ledgerLines, ofKind, type Project, project } from "../helpers/project.js";

let p: Project;
afterEach(async () => {
  await p.cleanup();
});

/** A HOME of the test's own, so an attack that works (the controls) writes nowhere else. */
function home(): string {
  const dir = join(p.sb.dir, "home");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Tries to leave `name` in HOME (and in `also`), ignoring failures; `ran-<name>` where it runs. */
const attack = (name: string, also: string[] = []) => `import { writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
for (const dir of [homedir(), ...${JSON.stringify(also)}]) {
  try { writeFileSync(join(dir, ${JSON.stringify(name)} + "-" + process.pid), "x"); } catch {}
}
writeFileSync("ran-" + ${JSON.stringify(name)}, "x");
`;

const planted = (dir: string, name: string) => readdirSync(dir).filter((f) => f.startsWith(`${name}-`));

describe("[workspace] setup on the agent's tree", () => {
  for (const sandbox of ["required", "off"] as const) {
    it(`${sandbox === "required" ? "confined" : "unconfined (control)"}: an install step the agent rewrote ${sandbox === "required" ? "cannot" : "can"} write HOME or the main checkout`, async () => {
      p = await project({
        "README.md": "base\n",
        "install.mjs": "process.exit(0);\n",
        ".omk/config.toml": '[workspace]\nsetup = [["node", "install.mjs"]]\n',
      });
      const h = home();
      const agent = p.writerAgent("rewrites-install", {
        "a.txt": "ok\n",
        "install.mjs": attack("pwned", [p.repo.root]),
      });
      const r = await p.omk(
        ["run", "--json", "--agent", "exec", "--agent-bin", agent, "--sandbox", sandbox, "go"],
        { env: { HOME: h } },
      );
      const doc = r.json<{ status: string; runId: string }>();
      const events = p.ledger(doc.runId);
      // The agent's install step did run, in the gate workspace.
      const setups = ofKind(events, "GateWorkspaceReady");
      expect(setups.map((e) => e.data["ok"])).toEqual([true]);
      expect(existsSync(join(setups[0]!.data["dir"] as string, "ran-pwned"))).toBe(true);
      if (sandbox === "required") {
        expect(doc.status, r.stderr).toBe("ready");
        expect(planted(h, "pwned")).toEqual([]);
        expect(planted(p.repo.root, "pwned")).toEqual([]);
      } else {
        // Unconfined it writes both; omk sees the checkout's file (and blocks), never HOME's.
        expect(doc.status, r.stderr).toBe("blocked");
        expect(JSON.stringify(ofKind(events, "RepoTampered"))).toMatch(/main checkout: pwned-\d+ created/);
        expect(planted(h, "pwned")).toHaveLength(1);
        expect(planted(p.repo.root, "pwned")).toHaveLength(1);
      }
    });
  }
});

describe("a goal's integration gates", () => {
  for (const sandbox of ["required", "off"] as const) {
    it(`${sandbox === "required" ? "confined" : "unconfined (control)"}: a test a task added ${sandbox === "required" ? "cannot" : "can"} write HOME when the integration gates run it`, async () => {
      // The project's gate runs every *.check.mjs in the tree, as a test runner runs the tests it finds.
      p = await project(
        {
          "README.md": "base\n",
          "checks.mjs": `import { readdirSync } from "node:fs";
for (const f of readdirSync(".").filter((f) => f.endsWith(".check.mjs"))) await import("./" + f);
`,
        },
        { gates: [{ name: "checks", args: ["checks.mjs"] }] },
      );
      const h = home();
      const agent = p.writerAgent("adds-a-check", { "a.check.mjs": attack("pwned") });
      const plan = join(p.sb.dir, "plan.json");
      writeFileSync(
        plan,
        JSON.stringify({
          tasks: [
            {
              id: "a",
              title: "a",
              prompt: "add a check",
              deps: [],
              read_set: [],
              write_set: ["a.check.mjs"],
            },
          ],
        }),
      );
      const r = await p.omk(execGoalArgs(plan, agent, "--sandbox", sandbox, "g"), {
        env: { HOME: h },
        timeoutMs: 120_000,
      });
      const doc = r.json<{ status: string; goalId: string }>();
      expect(doc.status, r.stderr).toBe("ready");
      const projects = join(p.sb.dir, "state", "omk", "projects");
      const goalDir = readdirSync(projects)
        .map((proj) => join(projects, proj, "goals", doc.goalId))
        .find((d) => existsSync(d))!;
      const gates = ofKind(ledgerLines(goalDir), "IntegrationGates");
      expect(gates.map((e) => [e.data["ok"], e.data["confinement"]])).toEqual([
        [true, sandbox === "required" ? "bwrap" : "none"],
      ]);
      // Unconfined, the task's own gates and the integration gates each leave one.
      expect(planted(h, "pwned")).toHaveLength(sandbox === "required" ? 0 : 2);
    });
  }
});

describe("proof verify's gate re-run", () => {
  for (const sandbox of ["required", "off"] as const) {
    it(`${sandbox === "required" ? "confined" : "unconfined (control)"}: the run's own test ${sandbox === "required" ? "cannot" : "can"} write the verifier's HOME`, async () => {
      p = await project(
        {
          "README.md": "base\n",
          "checks.mjs": `import { readdirSync } from "node:fs";
for (const f of readdirSync(".").filter((f) => f.endsWith(".check.mjs"))) await import("./" + f);
`,
        },
        { gates: [{ name: "checks", args: ["checks.mjs"] }] },
      );
      const agent = p.writerAgent("adds-a-check", { "a.check.mjs": attack("pwned") });
      // The run itself is not what is tested here: its own gates write into a HOME nobody looks at.
      const runHome = join(p.sb.dir, "run-home");
      mkdirSync(runHome);
      const { doc } = await p.execRun(agent, { args: ["--sandbox", "off"], env: { HOME: runHome } });
      expect(doc.status).toBe("ready");
      const h = home();
      const r = await p.omk(["proof", "verify", doc.runId, "--json", "--sandbox", sandbox], {
        env: { HOME: h },
      });
      expect(r.code, r.stderr).toBe(0);
      const gates = r
        .json<{ checks: { name: string; detail: string }[] }>()
        .checks.find((c) => c.name === "gates");
      expect(gates?.detail).toContain(sandbox === "required" ? "(confined)" : "(unconfined: --sandbox off)");
      expect(planted(h, "pwned")).toHaveLength(sandbox === "required" ? 0 : 1);
    });
  }
});

describe("[workspace] setup in a goal's lane", () => {
  for (const sandbox of ["required", "off"] as const) {
    it(`${sandbox === "required" ? "confined" : "unconfined (control)"}: an install step an earlier task rewrote ${sandbox === "required" ? "cannot" : "can"} write HOME when a later task's lane is set up`, async () => {
      p = await project({
        "README.md": "base\n",
        // The attack's own marker (ran-pwned, where it runs) is no task's change.
        ".gitignore": ".omk/worktrees/\nran-*\n",
        "install.mjs": "process.exit(0);\n",
        ".omk/config.toml": '[workspace]\nsetup = [["node", "install.mjs"]]\n',
      });
      // Task a rewrites the install step (its write set allows it); b, after a, starts from the
      // integration head that holds it, and its lane's worktree is set up there.
      const agent = p.script(
        "tasks",
        `import { writeFileSync } from "node:fs";
if (process.env.OMK_GOAL_TASK === "a") writeFileSync("install.mjs", ${JSON.stringify(attack("pwned"))});
else writeFileSync("b.txt", "ok\\n");
`,
      );
      const plan = join(p.sb.dir, "plan.json");
      const t = (id: string, deps: string[], writeSet: string[]) => ({
        id,
        title: id,
        prompt: id,
        deps,
        read_set: [],
        write_set: writeSet,
      });
      writeFileSync(plan, JSON.stringify({ tasks: [t("a", [], ["install.mjs"]), t("b", ["a"], ["b.txt"])] }));
      const h = home();
      const r = await p.omk(execGoalArgs(plan, agent, "--lanes", "1", "--sandbox", sandbox, "g"), {
        env: { HOME: h },
        timeoutMs: 120_000,
      });
      expect(r.json<{ status: string }>().status, r.stderr).toBe("ready");
      // Unconfined: a's gate workspace setup, the integration gates' setup after a, b's lane
      // setup, b's gate workspace setup (its lockfile unchanged, but its setup key is per tree) …
      // at least the lane's; confined: none.
      if (sandbox === "required") expect(planted(h, "pwned")).toEqual([]);
      else expect(planted(h, "pwned").length).toBeGreaterThan(0);
    });
  }
});
