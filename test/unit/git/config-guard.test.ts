import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type ConfigEntry,
  ConfigGuard,
  configEnv,
  driverOverrides,
  GUARD_CONFIG,
  type GuardRead,
  parseConfigDumpZ,
} from "../../../src/git/config-guard.js";
import { makeTempDir } from "../../helpers/git-repo.js";

const local = (key: string, value: string | null): ConfigEntry => ({
  scope: "local",
  origin: "file:.git/config",
  key,
  value,
});
const global = (key: string, value: string | null): ConfigEntry => ({
  scope: "global",
  origin: "file:/home/u/.gitconfig",
  key,
  value,
});

describe("parseConfigDumpZ", () => {
  it("reads scope, origin, key and value, and keys without a value", () => {
    const out =
      "local\0file:.git/config\0filter.a=b.c.clean\nrun me\0" +
      "global\0file:/h/.gitconfig\0filter.lfs.required\0" +
      "local\0file:.git/config\0diff.x.textconv\nline1\nline2\0";
    expect(parseConfigDumpZ(out)).toEqual([
      { scope: "local", origin: "file:.git/config", key: "filter.a=b.c.clean", value: "run me" },
      { scope: "global", origin: "file:/h/.gitconfig", key: "filter.lfs.required", value: null },
      { scope: "local", origin: "file:.git/config", key: "diff.x.textconv", value: "line1\nline2" },
    ]);
    expect(parseConfigDumpZ("")).toEqual([]);
  });
});

describe("driverOverrides", () => {
  it("empties every command key of a driver the repository defines, and unrequires its filter", () => {
    const { overrides, untrustedIncludes } = driverOverrides([
      local("filter.ev.clean", "evil"),
      local("diff.ev.textconv", "evil"),
      local("merge.ev.driver", "evil %A"),
    ]);
    expect(untrustedIncludes).toBe(false);
    expect(overrides).toEqual([
      ["filter.ev.clean", ""],
      ["filter.ev.smudge", ""],
      ["filter.ev.process", ""],
      ["filter.ev.required", "false"],
      ["diff.ev.command", ""],
      ["diff.ev.textconv", ""],
      ["merge.ev.driver", ""],
    ]);
  });

  it("keeps the user's own drivers: a repository key is pinned to the global value", () => {
    const { overrides } = driverOverrides([
      global("filter.lfs.clean", "git-lfs clean -- %f"),
      global("filter.lfs.process", "git-lfs filter-process"),
      global("filter.lfs.required", null),
      local("filter.lfs.process", "evil"),
      global("diff.hex.textconv", "hexdump -C"),
    ]);
    expect(overrides).toEqual([
      ["filter.lfs.clean", "git-lfs clean -- %f"],
      ["filter.lfs.smudge", ""],
      ["filter.lfs.process", "git-lfs filter-process"],
      ["filter.lfs.required", "true"],
    ]);
  });

  it("keeps subsections with dots and '=' whole, ignores two-part keys but pins merge.default", () => {
    const { overrides } = driverOverrides([
      local("merge.a.b=c.driver", "evil"),
      local("diff.external", "evil"),
      local("merge.default", "a.b=c"),
      local("merge.verifysignatures", "true"),
    ]);
    expect(overrides).toEqual([
      ["merge.a.b=c.driver", ""],
      ["merge.default", "text"],
    ]);
  });

  it("flags includes from the repository's config, not from the user's", () => {
    expect(driverOverrides([global("include.path", "~/.gitconfig-work")]).untrustedIncludes).toBe(false);
    expect(driverOverrides([local("include.path", "x")]).untrustedIncludes).toBe(true);
    expect(driverOverrides([local("includeif.gitdir:**/worktrees/**.path", "x")]).untrustedIncludes).toBe(
      true,
    );
  });

  it("treats worktree scope (config.worktree) like the repository's config", () => {
    const { overrides } = driverOverrides([{ ...local("filter.w.smudge", "evil"), scope: "worktree" }]);
    expect(overrides.map(([k]) => k)).toContain("filter.w.smudge");
  });
});

describe("configEnv", () => {
  it("numbers keys and values", () => {
    expect(
      configEnv([
        ["a.b", "1"],
        ["c.d=e.f", ""],
      ]),
    ).toEqual({
      GIT_CONFIG_COUNT: "2",
      GIT_CONFIG_KEY_0: "a.b",
      GIT_CONFIG_VALUE_0: "1",
      GIT_CONFIG_KEY_1: "c.d=e.f",
      GIT_CONFIG_VALUE_1: "",
    });
  });
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temporary directory, removed after the test. */
function tempBase(): string {
  const base = makeTempDir("omk-guard-");
  dirs.push(base);
  return base;
}

describe("ConfigGuard cache", () => {
  /** A fake repository layout (main .git dir, or a linked worktree's .git file) and a reader that counts reads. */
  function setup(config: string) {
    const base = tempBase();
    const commonDir = join(base, "main", ".git");
    mkdirSync(commonDir, { recursive: true });
    writeFileSync(join(commonDir, "config"), "[core]\n");
    const gitDir = join(commonDir, "worktrees", "w");
    mkdirSync(gitDir, { recursive: true });
    const wt = join(base, "wt");
    mkdirSync(wt);
    writeFileSync(join(wt, ".git"), `gitdir: ${gitDir}\n`);
    const state = { config, reads: 0, dirs: { commonDir, gitDir } as GuardRead["dirs"] };
    const guard = new ConfigGuard(
      async () => {
        state.reads++;
        return { config: state.config, dirs: state.dirs };
      },
      { fixed: [["core.hooksPath", "/dev/null"]], racyMs: -60_000 },
    );
    return { guard, state, commonDir, gitDir, wt };
  }

  it("reads once while nothing it watches changes", async () => {
    const { guard, state, wt } = setup("local\0file:x\0filter.ev.clean\nevil\0");
    const env = await guard.envFor(wt);
    expect(env).toMatchObject({ GIT_CONFIG_KEY_0: "core.hooksPath", GIT_CONFIG_KEY_1: "filter.ev.clean" });
    await Promise.all([guard.envFor(wt), guard.envFor(wt), guard.envFor(wt)]);
    expect(state.reads).toBe(1);
  });

  it("reads again when the common config, config.worktree, commondir or the .git file changes", async () => {
    const { guard, state, commonDir, gitDir, wt } = setup("");
    await guard.envFor(wt);
    const touches = [
      () => writeFileSync(join(commonDir, "config"), '[core]\n[filter "ev"]\n\tclean = evil\n'),
      () => writeFileSync(join(gitDir, "config.worktree"), "[x]\n"),
      () => writeFileSync(join(gitDir, "commondir"), "../..\n"),
      () => writeFileSync(join(wt, ".git"), `gitdir: ${join(commonDir, "elsewhere")}\n`),
    ];
    let expected = 1;
    for (const touch of touches) {
      touch();
      await guard.envFor(wt);
      expect(state.reads).toBe(++expected);
      await guard.envFor(wt);
      expect(state.reads).toBe(expected);
    }
  });

  it("never caches when the repository's config includes files, or outside a repository", async () => {
    const { guard, state, wt } = setup("local\0file:.git/config\0include.path\n/elsewhere\0");
    await guard.envFor(wt);
    await guard.envFor(wt);
    expect(state.reads).toBe(2);
    state.config = "";
    state.dirs = null;
    await guard.envFor(wt);
    await guard.envFor(wt);
    expect(state.reads).toBe(4);
  });

  it("does not cache a read right after a watched file changed", async () => {
    const base = tempBase();
    const commonDir = join(base, ".git");
    mkdirSync(commonDir);
    writeFileSync(join(commonDir, "config"), "[core]\n");
    let reads = 0;
    const guard = new ConfigGuard(async () => {
      reads++;
      return { config: "", dirs: { commonDir, gitDir: commonDir } };
    });
    await guard.envFor(base);
    await guard.envFor(base);
    expect(reads).toBe(2);
    expect(GUARD_CONFIG.length).toBeGreaterThan(10);
    // With nanosecond timestamps the racy window is short: a run's seconds-old worktree is cached
    // soon after it was made, instead of costing two git processes on every call of the run.
    await new Promise((r) => setTimeout(r, 250));
    await guard.envFor(base);
    await guard.envFor(base);
    await guard.envFor(base);
    expect(reads).toBe(3);
  });
});

describe("ConfigGuard: work trees that read the same config", () => {
  /** A main work tree and a linked one, laid out as git lays them out (readGitDirs reads both). */
  function setup(config: string) {
    const base = tempBase();
    const main = join(base, "main");
    const commonDir = join(main, ".git");
    mkdirSync(join(commonDir, "objects"), { recursive: true });
    writeFileSync(join(commonDir, "HEAD"), "ref: refs/heads/main\n");
    writeFileSync(join(commonDir, "config"), "[core]\n");
    const gitDir = join(commonDir, "worktrees", "w");
    mkdirSync(gitDir, { recursive: true });
    writeFileSync(join(gitDir, "HEAD"), "ref: refs/heads/w\n");
    writeFileSync(join(gitDir, "commondir"), "../..\n");
    const wt = join(base, "wt");
    mkdirSync(wt);
    writeFileSync(join(wt, ".git"), `gitdir: ${gitDir}\n`);
    const state = { config, reads: [] as string[] };
    const guard = new ConfigGuard(
      async (cwd) => {
        state.reads.push(cwd === main ? "main" : "wt");
        return {
          config: state.config,
          dirs: cwd === main ? { commonDir, gitDir: commonDir } : { commonDir, gitDir },
        };
      },
      { fixed: [["core.hooksPath", "/dev/null"]], racyMs: -60_000 },
    );
    return { guard, state, main, commonDir, gitDir, wt };
  }

  const planted = "local\0file:.git/config\0filter.ev.clean\nevil\0";

  it("answers a linked work tree from its main work tree's read, drivers pinned the same", async () => {
    const { guard, state, main, wt } = setup(planted);
    expect(await guard.coversNewWorktrees(main)).toBe(true);
    const env = await guard.envFor(wt);
    expect(env).toEqual(await guard.envFor(main));
    expect(env).toMatchObject({ GIT_CONFIG_KEY_1: "filter.ev.clean", GIT_CONFIG_VALUE_1: "" });
    // The entries behind it (the identity is read from them) come from the same read.
    expect(await guard.configFor(wt)).toEqual(parseConfigDumpZ(planted));
    expect(state.reads).toEqual(["main"]);
  });

  it("reads the work tree itself when it has a config.worktree, or the common config changed", async () => {
    const { guard, state, main, commonDir, gitDir, wt } = setup(planted);
    await guard.envFor(main);
    writeFileSync(join(gitDir, "config.worktree"), '[filter "other"]\n\tclean = evil\n');
    await guard.envFor(wt);
    expect(state.reads).toEqual(["main", "wt"]);
    rmSync(join(gitDir, "config.worktree"));
    guard.clear();
    await guard.envFor(main);
    writeFileSync(join(commonDir, "config"), '[core]\n[filter "x"]\n\tclean = evil\n');
    await guard.envFor(wt);
    expect(state.reads).toEqual(["main", "wt", "main", "wt"]);
  });

  it("shares nothing with an includeIf in any scope, or a config.worktree in the main work tree", async () => {
    const { guard, state, main, commonDir, wt } = setup(
      `global\0file:/home/u/.gitconfig\0includeif.gitdir:**/worktrees/**.path\n/x\0${planted}`,
    );
    expect(await guard.coversNewWorktrees(main)).toBe(false);
    await guard.envFor(wt);
    expect(state.reads).toEqual(["main", "wt"]);
    state.config = planted;
    state.reads = [];
    guard.clear();
    writeFileSync(join(commonDir, "config.worktree"), "[core]\n");
    expect(await guard.coversNewWorktrees(main)).toBe(false);
    await guard.envFor(wt);
    expect(state.reads).toEqual(["main", "wt"]);
  });

  it("shares across a plain include.path of the user's config: the same file from every work tree", async () => {
    const { guard, state, main, wt } = setup(
      `global\0file:/home/u/.gitconfig\0include.path\n~/.gitconfig.local\0${planted}`,
    );
    expect(await guard.coversNewWorktrees(main)).toBe(true);
    await guard.envFor(wt);
    expect(state.reads).toEqual(["main"]);
  });
});
