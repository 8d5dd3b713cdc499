import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { omk, sandbox } from "../helpers/cli.js";
import { makeRepo, makeTempDir, type TestRepo } from "../helpers/git-repo.js";

describe("CLI conventions (built CLI)", () => {
  let sb: ReturnType<typeof sandbox>;
  beforeEach(() => {
    sb = sandbox();
  });
  afterEach(() => sb.cleanup());

  it("--version prints the package version and exits 0", async () => {
    const r = await omk(["--version"], { cwd: sb.dir, env: sb.env });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("--help lists the commands and exit codes", async () => {
    const r = await omk(["--help"], { cwd: sb.dir, env: sb.env });
    expect(r.code).toBe(0);
    for (const c of ["init", "verify", "run", "proof", "land", "cleanup"]) expect(r.stdout).toContain(c);
    expect(r.stdout).toContain("Exit codes");
  });

  it("every command's --help has examples", async () => {
    for (const c of [
      ["init"],
      ["verify"],
      ["run", "start"],
      ["run", "list"],
      ["run", "show"],
      ["run", "resume"],
      ["run", "export"],
      ["run", "diff"],
      ["run", "rm"],
      ["run"],
      ["proof"],
      ["proof", "show"],
      ["proof", "verify"],
      ["land"],
      ["cleanup"],
    ]) {
      const r = await omk([...c, "--help"], { cwd: sb.dir, env: sb.env });
      expect(r.code, c.join(" ")).toBe(0);
      expect(r.stdout, c.join(" ")).toContain("Examples:");
    }
  });

  it("an unknown command exits 2 with a suggestion", async () => {
    const r = await omk(["verfy"], { cwd: sb.dir, env: sb.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
    expect(r.stderr).toMatch(/Did you mean verify/);
    expect(r.stderr).toContain("[USAGE]");
  });

  it("an unknown flag exits 2 with a suggestion, and --json still yields one JSON document", async () => {
    const r = await omk(["init", "--forse", "--json"], { cwd: sb.dir, env: sb.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--forse'/);
    expect(r.stderr).toMatch(/--force/);
    const doc = r.json<{ ok: boolean; error: { code: string } }>();
    expect(doc.ok).toBe(false);
    expect(doc.error.code).toBe("USAGE");
  });

  it("outside a git repository init refuses with exit 2 and a hint", async () => {
    const dir = makeTempDir();
    const r = await omk(["init"], { cwd: dir, env: sb.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("NOT_A_GIT_REPO");
    expect(r.stderr).toMatch(/hint: .*git init/);
  });

  it("NO_COLOR output has no escape sequences; --quiet silences progress", async () => {
    const repo = await makeRepo({ "package.json": JSON.stringify({ scripts: { test: "node -e 0" } }) });
    try {
      const r = await omk(["init"], { cwd: repo.root, env: { ...sb.env, NO_COLOR: "1", FORCE_COLOR: "1" } });
      expect(r.code).toBe(0);
      expect(r.stderr).not.toMatch(/\u001b\[/);
      const q = await omk(["verify", "--quiet"], { cwd: repo.root, env: sb.env });
      expect(q.code).toBe(0);
      expect(q.stderr).toBe("");
    } finally {
      await repo.cleanup();
    }
  });
});

describe("omk init", () => {
  let repo: TestRepo;
  let sb: ReturnType<typeof sandbox>;
  beforeEach(async () => {
    sb = sandbox();
    repo = await makeRepo({
      "package.json": JSON.stringify({
        name: "x",
        scripts: { test: "node --test", lint: "biome check .", build: "tsc" },
      }),
      "package-lock.json": "{}",
    });
  });
  afterEach(async () => {
    sb.cleanup();
    await repo.cleanup();
  });

  it("writes config, detected gates, MCP stubs and the worktree exclude; is idempotent", async () => {
    const r = await omk(["init", "--json"], { cwd: repo.root, env: sb.env });
    expect(r.code).toBe(0);
    const doc = r.json<{
      files: { path: string; status: string }[];
      gates: { name: string; argv: string[] }[];
      setup: string[][];
    }>();
    expect(doc.files.map((f) => [f.path, f.status])).toEqual([
      [".omk/config.toml", "created"],
      [".omk/gates.toml", "created"],
      [".omk/mcp.json", "created"],
      [".kimi/mcp.json", "created"],
    ]);
    expect(doc.gates.map((g) => g.name)).toEqual(expect.arrayContaining(["test", "lint", "build"]));
    expect(doc.gates.find((g) => g.name === "test")?.argv).toEqual(["npm", "run", "test"]);
    expect(doc.setup[0]?.slice(0, 2)).toEqual(["npm", "ci"]);
    const exclude = repo.git(["rev-parse", "--git-path", "info/exclude"]);
    const { readFileSync } = await import("node:fs");
    const { join, isAbsolute } = await import("node:path");
    const text = readFileSync(isAbsolute(exclude) ? exclude : join(repo.root, exclude), "utf8");
    expect(text).toContain(".omk/worktrees/");

    repo.write({ ".omk/gates.toml": "# hand edited\n" });
    const again = await omk(["init", "--json"], { cwd: repo.root, env: sb.env });
    expect(again.code).toBe(0);
    expect(again.json<{ files: { status: string }[] }>().files.every((f) => f.status === "kept")).toBe(true);
    expect(readFileSync(join(repo.root, ".omk/gates.toml"), "utf8")).toBe("# hand edited\n");
    expect(text.split("\n").filter((l) => l.includes(".omk/worktrees")).length).toBe(1);

    const forced = await omk(["init", "--force", "--json"], { cwd: repo.root, env: sb.env });
    expect(
      forced
        .json<{ files: { path: string; status: string }[] }>()
        .files.find((f) => f.path === ".omk/gates.toml")?.status,
    ).toBe("overwritten");
  });
});
