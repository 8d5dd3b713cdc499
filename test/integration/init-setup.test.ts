import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunDoc } from "../helpers/cli.js";
import { ofKind, type Project, project } from "../helpers/project.js";

interface InitDoc {
  files: { path: string; status: string }[];
  gates: { name: string; argv: string[] }[];
  gatesSource: string;
  setup: string[][];
  setupSource: string;
  notes: string[];
}

const PACKAGE = JSON.stringify({ name: "lib", version: "1.0.0", scripts: { test: "node --test" } });
const NPM_CI = `[workspace]\nsetup = [["npm", "ci", "--offline", "--no-audit", "--no-fund"]]\n`;

describe("omk init and workspace setup with a git-ignored lockfile (built CLI)", () => {
  let p: Project;
  beforeEach(async () => {
    // A library that keeps its lockfile out of git: the main checkout has one, no worktree ever will.
    p = await project({
      "package.json": PACKAGE,
      ".gitignore": ".omk/worktrees/\npackage-lock.json\nnode_modules/\n",
    });
    p.repo.write({
      "package-lock.json": `${JSON.stringify({ name: "lib", lockfileVersion: 3, packages: {} })}\n`,
    });
  });
  afterEach(async () => {
    await p.cleanup();
  });

  it("init proposes npm install, not npm ci, and says why; a committed lockfile keeps npm ci", async () => {
    p.repo.git(["rm", "-q", "--cached", ".omk/gates.toml"]);
    p.repo.git(["commit", "-qm", "no gates yet"]);
    const r = await p.omk(["init", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<InitDoc>();
    expect(doc.setup).toEqual([["npm", "install", "--prefer-offline", "--no-audit", "--no-fund"]]);
    expect(doc.setupSource).toBe("proposed");
    expect(doc.notes).toEqual([
      "package-lock.json is git-ignored, so worktrees do not have it: setup is `npm install`, not `npm ci`",
    ]);
    expect(r.stderr).toContain("warning: package-lock.json is git-ignored");

    // Tracked (force-added), the lockfile reaches every worktree: npm ci again.
    p.repo.git(["add", "-f", "package-lock.json"]);
    const tracked = await p.omk(["init", "--force", "--json"]);
    expect(tracked.json<InitDoc>()).toMatchObject({
      notes: [],
      setup: [["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"]],
    });
  });

  it("re-running init prints the kept gates.toml's gates and the kept setup, and flags a kept npm ci", async () => {
    p.repo.write({
      ".omk/gates.toml": '[[gates]]\nname = "mine"\ncommand = "node"\nargs = ["gate.mjs"]\n',
      ".omk/config.toml": NPM_CI,
    });
    const r = await p.omk(["init"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/gates \(the kept \.omk\/gates\.toml\):\n {2}mine {9}node gate\.mjs\n/);
    // The detected `npm run test` gate is what a fresh init would write, not what runs use.
    expect(r.stderr).not.toMatch(/npm run test/);
    expect(r.stderr).toContain(
      "workspace setup (the kept .omk/config.toml): npm ci --offline --no-audit --no-fund",
    );
    expect(r.stderr).toMatch(
      /warning: package-lock\.json is git-ignored.*; the kept \.omk\/config\.toml still runs `npm ci`/,
    );
    const doc = (await p.omk(["init", "--json"])).json<InitDoc>();
    expect(doc).toMatchObject({
      gatesSource: "kept",
      gates: [{ name: "mine", argv: ["node", "gate.mjs"] }],
      setupSource: "kept",
      setup: [["npm", "ci", "--offline", "--no-audit", "--no-fund"]],
    });

    // A kept gates.toml that does not load is reported, and init still succeeds.
    p.repo.write({ ".omk/gates.toml": "[[gates]]\nname = 1\n" });
    const broken = await p.omk(["init", "--json"]);
    expect(broken.code).toBe(0);
    expect(broken.json<InitDoc>().notes.join("\n")).toMatch(/gates\.toml:2:\d+: /);
  });

  it("a failing setup reports npm's own error lines (no lockfile), not its alias list", async () => {
    p.repo.write({ ".omk/config.toml": NPM_CI });
    p.repo.git(["add", ".omk/config.toml"]);
    p.repo.git(["commit", "-qm", "setup with npm ci"]);
    const home = join(p.sb.dir, "home");
    mkdirSync(home);
    const r = await p.omk(
      ["run", "--json", "--agent", "exec", "--agent-bin", p.writerAgent("ok", { "a.txt": "ok\n" }), "x"],
      {
        env: { HOME: home, npm_config_cache: join(home, ".npm"), npm_config_update_notifier: "false" },
      },
    );
    expect(r.code).toBe(1);
    const doc = r.json<RunDoc>();
    expect(doc.status).toBe("failed_infra");
    const reason = doc.reasons.join("\n");
    expect(reason).toMatch(
      /workspace setup failed: npm ci --offline --no-audit --no-fund: exit 1: npm error code EUSAGE/,
    );
    expect(reason).toContain("can only install with an existing package-lock.json");
    expect(reason).not.toMatch(/aliases|Usage:/);
    const step = ofKind(p.ledger(doc.runId), "WorkspaceSetup")[0]!.data;
    expect(String(step["detail"])).toContain("can only install with an existing package-lock.json");
    expect(r.stderr).toContain("can only install with an existing package-lock.json");
  });
});
