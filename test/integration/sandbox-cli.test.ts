/**
 * Confinement through the built CLI: what a run records and says about it, `omk sandbox check`, a
 * machine without bwrap (simulated with a PATH that lacks it), and real work inside the sandbox: an
 * `npm test` gate with installed dependencies and the fake `kimi --wire` agent.
 */
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FAKE_KIMI, ofKind, type Project, project } from "../helpers/project.js";

let p: Project;
afterEach(async () => {
  await p.cleanup();
});

/** A PATH with node and git but no bwrap: a machine where bubblewrap is not installed. */
function pathWithoutBwrap(): string {
  const dir = join(p.sb.dir, "bin-no-bwrap");
  mkdirSync(dir);
  for (const tool of ["node", "git"]) symlinkSync(`/usr/bin/${tool}`, join(dir, tool));
  return dir;
}

describe("omk sandbox check", () => {
  beforeEach(async () => {
    p = await project({});
  });

  it("says confinement works here, and with bwrap off PATH why not and what to do (exit 1)", async () => {
    const ok = await p.omk(["sandbox", "check", "--json"]);
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ ok: true, platform: "linux", bwrap: expect.stringMatching(/bwrap$/) });
    const human = await p.omk(["sandbox", "check"]);
    expect(human.stdout).toMatch(/^confinement works here: bubblewrap \S+ at \S*bwrap/);

    const missing = await p.omk(["sandbox", "check", "--json"], { env: { PATH: pathWithoutBwrap() } });
    expect(missing.code).toBe(1);
    expect(missing.json()).toMatchObject({
      ok: false,
      bwrap: null,
      reason: "bwrap (bubblewrap) is not on PATH",
      hint: expect.stringContaining("apt-get install bubblewrap"),
    });
  });
});

describe("omk run --sandbox", () => {
  beforeEach(async () => {
    p = await project({ "README.md": "sample\n" });
  });

  it("required without bwrap exits 2 with a hint before any run exists; auto warns once and proceeds unconfined", async () => {
    const agent = p.writerAgent("writer", { "ok.txt": "ok\n" });
    const PATH = pathWithoutBwrap();
    const refused = await p.omk(
      ["run", "--agent", "exec", "--agent-bin", agent, "--sandbox", "required", "go"],
      {
        env: { PATH },
      },
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      "--sandbox required, but bwrap (bubblewrap) is not on PATH [SANDBOX_UNAVAILABLE]",
    );
    expect(refused.stderr).toMatch(/hint: install bubblewrap .*omk sandbox check/);
    expect(p.stateFiles().filter((f) => f.endsWith("events.jsonl"))).toEqual([]);

    // OMK_SANDBOX, like the flag, asks for it.
    const byEnv = await p.omk(["run", "--agent", "exec", "--agent-bin", agent, "go"], {
      env: { PATH, OMK_SANDBOX: "required" },
    });
    expect(byEnv.code).toBe(2);

    const auto = await p.omk(
      ["run", "--json", "--agent", "exec", "--agent-bin", agent, "--sandbox", "auto", "go"],
      {
        env: { PATH },
      },
    );
    expect(auto.code).toBe(0);
    const warnings = auto.stderr.split("\n").filter((l) => l.includes("NOT confined"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("bwrap (bubblewrap) is not on PATH");
    const runId = auto.json<{ runId: string }>().runId;
    expect(ofKind(p.ledger(runId), "Confinement").map((l) => l.data)).toEqual([
      {
        attempt: 1,
        mode: "none",
        requested: "auto",
        network: "none",
        reason: "bwrap (bubblewrap) is not on PATH",
      },
    ]);
    const md = await p.omk(["proof", "show", runId]);
    expect(md.stdout).toContain(
      "| confinement | **none**: the agent ran unconfined (bwrap (bubblewrap) is not on PATH)",
    );
  });

  it("a confined run records it before each turn, and proof show and the proof JSON say it", async () => {
    // Fails attempt 1 (writes "bad"), passes attempt 2: two turns, two Confinement events.
    const agent = p.script(
      "second-time",
      `import { writeFileSync } from "node:fs";
writeFileSync("ok.txt", process.env.OMK_ATTEMPT === "1" ? "bad\\n" : "ok\\n");
`,
    );
    const { doc } = await p.execRun(agent, { args: ["--sandbox", "required"] });
    expect(doc.status).toBe("ready");
    const ledger = p.ledger(doc.runId);
    const conf = ofKind(ledger, "Confinement");
    expect(conf.map((l) => l.data)).toEqual([
      { attempt: 1, mode: "bwrap", requested: "required", network: "none" },
      { attempt: 2, mode: "bwrap", requested: "required", network: "none" },
    ]);
    // Before the turn: after its AttemptStarted, before its AgentStarted.
    const seqOf = (kind: string, attempt: number) =>
      ledger.find((l) => l.kind === kind && l.data["attempt"] === attempt)?.seq ?? -1;
    expect(seqOf("Confinement", 2)).toBeGreaterThan(seqOf("AttemptStarted", 2));
    expect(seqOf("Confinement", 2)).toBeLessThan(seqOf("AgentStarted", 2));
    expect(p.proof(doc.runId)["confinement"]).toEqual({
      attempt: 2,
      mode: "bwrap",
      requested: "required",
      network: "none",
    });
    const md = await p.omk(["proof", "show", doc.runId]);
    expect(md.stdout).toContain(
      "| confinement | bubblewrap sandbox, network `none` (`--sandbox required`) |",
    );
    const json = await p.omk(["proof", "show", doc.runId, "--format", "json"]);
    expect(JSON.parse(json.stdout).confinement).toMatchObject({ mode: "bwrap" });
    expect((await p.proofVerify(doc.runId)).doc.ok).toBe(true);
    const show = await p.omk(["run", "show", doc.runId]);
    expect(show.stdout).toContain("confined: bubblewrap sandbox, network none (--sandbox required)");
    const showJson = await p.omk(["run", "show", doc.runId, "--json"]);
    expect(showJson.json()["confinement"]).toMatchObject({ mode: "bwrap", attempt: 2 });
  });

  it("off records an unconfined run with the reason, and says nothing about it", async () => {
    const { doc, r } = await p.execRun(p.writerAgent("w", { "ok.txt": "ok\n" }), {
      args: ["--sandbox", "off"],
    });
    expect(r.stderr).not.toContain("NOT confined");
    expect(ofKind(p.ledger(doc.runId), "Confinement")[0]?.data).toEqual({
      attempt: 1,
      mode: "none",
      requested: "off",
      network: "none",
      reason: "--sandbox off",
    });
  });
});

describe("real work inside the sandbox", () => {
  const LOCK = {
    name: "p",
    version: "1.0.0",
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { name: "p", version: "1.0.0", dependencies: { dep: "file:./dep" } },
      dep: { version: "1.0.0" },
      "node_modules/dep": { resolved: "dep", link: true },
    },
  };

  beforeEach(async () => {
    p = await project(
      {
        ".gitignore": ".omk/worktrees/\nnode_modules/\n",
        "package.json": JSON.stringify({
          name: "p",
          version: "1.0.0",
          private: true,
          scripts: { test: "node test.mjs" },
          dependencies: { dep: "file:./dep" },
        }),
        "package-lock.json": `${JSON.stringify(LOCK, null, 2)}\n`,
        "dep/package.json": JSON.stringify({ name: "dep", version: "1.0.0", main: "index.js" }),
        "dep/index.js": "module.exports = { answer: 42 };\n",
        "test.mjs": `import dep from "dep";
import { readFileSync } from "node:fs";
const got = Number(readFileSync("answer.txt", "utf8").trim());
if (got !== dep.answer) { console.error("expected " + dep.answer + ", got " + got); process.exit(1); }
console.log("answer ok");
`,
        ".omk/gates.toml": '[[gates]]\nname = "test"\ncommand = "npm"\nargs = ["test"]\n',
        ".omk/config.toml": '[workspace]\nsetup = [["npm", "ci", "--offline", "--no-audit", "--no-fund"]]\n',
        "scenario.json": JSON.stringify({
          turns: [
            { steps: [{ say: "writing" }, { write: { path: "answer.txt", content: "41\n" } }] },
            { steps: [{ say: "fixing" }, { write: { path: "answer.txt", content: "42\n" } }] },
          ],
        }),
      },
      { gates: [] },
    );
  });

  it("the fake kimi --wire agent and an npm test gate with installed dependencies work confined", async () => {
    const r = await p.omk([
      "run",
      "--json",
      "--agent",
      "kimi",
      "--agent-bin",
      FAKE_KIMI,
      // The scenario lies in the repository: the main checkout is readable inside, /tmp is private.
      "--agent-arg",
      "--scenario",
      "--agent-arg",
      join(p.repo.root, "scenario.json"),
      "--sandbox",
      "required",
      "answer",
    ]);
    const doc = r.json<{ runId: string; status: string }>();
    expect(doc.status, r.stderr).toBe("ready");
    const ledger = p.ledger(doc.runId);
    expect(ofKind(ledger, "Confinement").map((l) => l.data)).toEqual([
      { attempt: 1, mode: "bwrap", requested: "required", network: "host" },
      { attempt: 2, mode: "bwrap", requested: "required", network: "host" },
    ]);
    // One kimi session across both turns: stopping a turn's leftovers spares the sandboxed session.
    expect(ofKind(ledger, "AgentStarted").map((l) => l.data["resumedSession"])).toEqual([false, true]);
    expect(ofKind(ledger, "AgentStopped").map((l) => l.data["killed"])).toEqual([[], []]);
    const gate = ofKind(ledger, "GateResult")[1]?.data["gate"] as {
      status: string;
      argv: string[];
      tail: string;
    };
    expect(gate).toMatchObject({ status: "pass", argv: ["npm", "test"] });
    expect(gate.tail).toContain("answer ok");
    expect(existsSync(join(p.repo.root, ".omk", "worktrees", "gates-0", "node_modules", "dep"))).toBe(true);
  });
});
