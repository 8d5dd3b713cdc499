import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../helpers/git-repo.js";
import { kinds, ofKind, type Project, project } from "../helpers/project.js";

/**
 * `[workspace] setup` with a real npm dependency, offline: a local package packed to a .tgz inside the
 * repo, a lockfile generated once here, and `npm ci --offline` run by omk in each fresh worktree.
 */

const GATE = `import { answer } from "dep";
if (answer !== 42) { console.error("dep answered " + answer); process.exit(1); }
console.log("dep ok");
`;
const SETUP = `[workspace]\nsetup = [["npm", "ci", "--offline", "--no-audit", "--no-fund"]]\n`;
const AGENT = `import { writeFileSync } from "node:fs";\nwriteFileSync("notes.txt", "done\\n");\n`;

let tpl: string;
const files: Record<string, string | Uint8Array> = {};

/** npm without the npm_* settings of whatever npm script started the tests, and with its own cache. */
function npm(args: string[], cwd: string): string {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k)) env[k] = v;
  env["npm_config_cache"] = join(tpl, "npm-cache");
  env["npm_config_update_notifier"] = "false";
  return execFileSync("npm", args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

beforeAll(() => {
  tpl = makeTempDir("omk-ws-tpl-");
  const src = join(tpl, "dep-src");
  const app = join(tpl, "app");
  mkdirSync(src);
  mkdirSync(join(app, "vendor"), { recursive: true });
  writeFileSync(
    join(src, "package.json"),
    JSON.stringify({ name: "dep", version: "1.0.0", type: "module", main: "index.js" }),
  );
  writeFileSync(join(src, "index.js"), "export const answer = 42;\n");
  npm(["pack", "--pack-destination", join(app, "vendor")], src);
  writeFileSync(
    join(app, "package.json"),
    `${JSON.stringify(
      {
        name: "app",
        version: "1.0.0",
        private: true,
        type: "module",
        dependencies: { dep: "file:./vendor/dep-1.0.0.tgz" },
      },
      null,
      2,
    )}\n`,
  );
  npm(["install", "--offline", "--no-audit", "--no-fund"], app);
  // The lockfile is what gets committed. node_modules stays out of the repo entirely: a worktree under
  // <repo>/.omk/worktrees/ would otherwise resolve `dep` from the main checkout's node_modules.
  for (const f of ["package.json", "package-lock.json", "vendor/dep-1.0.0.tgz"])
    files[f] = readFileSync(join(app, f));
  files[".gitignore"] = "node_modules/\n";
  files["gate.mjs"] = GATE;
}, 60_000);

afterAll(() => {
  rmSync(tpl, { recursive: true, force: true });
});

describe("omk run: [workspace] setup (real npm, offline)", () => {
  let h: Project | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  /** omk with an isolated HOME, so `npm ci` inside omk uses a private cache. */
  async function run(config: string | null, extra: string[] = []) {
    h = await project(
      { ...files, ...(config === null ? {} : { ".omk/config.toml": config }) },
      { gates: [{ name: "dep", args: ["gate.mjs"] }] },
    );
    expect(existsSync(join(h.repo.root, "node_modules"))).toBe(false);
    const home = join(h.sb.dir, "home");
    mkdirSync(home);
    const agent = h.script("agent", AGENT);
    return h.execRun(agent, { args: extra, env: { HOME: home } });
  }

  it("setup runs npm ci in the worktree before the agent, and the gate that needs the dependency passes", async () => {
    const { r, doc } = await run(SETUP);
    expect(r.code, r.stderr).toBe(0);
    expect(doc.status).toBe("ready");
    const events = h!.ledger(doc.runId);
    const setup = ofKind(events, "WorkspaceSetup").map((e) => e.data);
    expect(setup).toEqual([
      expect.objectContaining({
        ok: true,
        step: expect.objectContaining({
          kind: "setup",
          what: "npm ci --offline --no-audit --no-fund",
          exitCode: 0,
        }),
      }),
    ]);
    // Setup finished before the agent started, and the workspace verdict is recorded.
    const k = kinds(events);
    expect(k.indexOf("WorkspaceSetup")).toBeLessThan(k.indexOf("WorkspaceReady"));
    expect(k.indexOf("WorkspaceReady")).toBeLessThan(k.indexOf("AttemptStarted"));
    expect(ofKind(events, "WorkspaceReady")[0]?.data).toMatchObject({ setupOk: true });
    expect(ofKind(events, "GateResult")[0]?.data["gate"]).toMatchObject({ name: "dep", status: "pass" });
    expect(existsSync(join(doc.worktree, "node_modules", "dep", "index.js"))).toBe(true);
    // The installed dependency is not part of the agent's change.
    expect(h!.repo.git(["diff", "--name-only", h!.base, doc.branch])).toBe("notes.txt");
  });

  it("without the setup the same gate fails on the missing module: not_ready", async () => {
    const { r, doc } = await run(null, ["--max-attempts", "1"]);
    expect(r.code).toBe(1);
    expect(doc.status).toBe("not_ready");
    const events = h!.ledger(doc.runId);
    expect(ofKind(events, "WorkspaceSetup")).toEqual([]);
    const gate = ofKind(events, "GateResult")[0]?.data["gate"] as { status: string; tail: string };
    expect(gate.status).toBe("fail");
    expect(gate.tail).toMatch(/ERR_MODULE_NOT_FOUND|Cannot find package 'dep'/);
    expect(doc.reasons.join("\n")).toMatch(/dep \(fail\)/);
  });

  it("a failing setup command is failed_infra, and the agent never runs", async () => {
    const failing = `[workspace]\nsetup = [[${JSON.stringify(process.execPath)}, "-e", "console.error('setup exploded'); process.exit(7)"]]\n`;
    const { r, doc } = await run(failing);
    expect(r.code).toBe(1);
    expect(doc.status).toBe("failed_infra");
    expect(doc.reasons.join("\n")).toMatch(/workspace setup failed/);
    expect(doc.reasons.join("\n")).toContain("exit 7");
    const events = h!.ledger(doc.runId);
    expect(ofKind(events, "WorkspaceSetup").map((e) => e.data)).toEqual([
      expect.objectContaining({ ok: false, step: expect.objectContaining({ kind: "setup", exitCode: 7 }) }),
    ]);
    expect(String(ofKind(events, "WorkspaceSetup")[0]?.data["detail"])).toContain("setup exploded");
    expect(ofKind(events, "WorkspaceReady")[0]?.data).toMatchObject({ setupOk: false });
    expect(ofKind(events, "AttemptStarted")).toEqual([]);
    expect(ofKind(events, "AgentStarted")).toEqual([]);
    expect(ofKind(events, "GateStarted")).toEqual([]);
    expect(h!.proof(doc.runId)["status"]).toBe("failed_infra");
    expect(r.stderr).toContain("workspace setup failed");
  });
});
