import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OmkError } from "../../../src/core/errors.js";
import { omkDirs, projectId, projectStateDir, runDir } from "../../../src/store/paths.js";

describe.runIf(process.platform === "linux")("omkDirs on Linux", () => {
  it("uses XDG_* from the env it is given", () => {
    const dirs = omkDirs({
      HOME: "/home/ada",
      XDG_STATE_HOME: "/x/state",
      XDG_CONFIG_HOME: "/x/config",
      XDG_CACHE_HOME: "/x/cache",
    });
    expect(dirs).toEqual({ state: "/x/state/omk", config: "/x/config/omk", cache: "/x/cache/omk" });
  });

  it("falls back to the XDG defaults under HOME", () => {
    expect(omkDirs({ HOME: "/home/ada" })).toEqual({
      state: "/home/ada/.local/state/omk",
      config: "/home/ada/.config/omk",
      cache: "/home/ada/.cache/omk",
    });
  });

  it("ignores empty and relative XDG values, as the spec says", () => {
    const dirs = omkDirs({ HOME: "/home/ada", XDG_STATE_HOME: "", XDG_CACHE_HOME: "rel/cache" });
    expect(dirs.state).toBe("/home/ada/.local/state/omk");
    expect(dirs.cache).toBe("/home/ada/.cache/omk");
  });

  it("honours a passed env over process.env", () => {
    const dirs = omkDirs({ HOME: "/nowhere-home", XDG_STATE_HOME: "/elsewhere/state" });
    expect(dirs.config).toBe("/nowhere-home/.config/omk");
    expect(dirs.state).toBe("/elsewhere/state/omk");
    expect(existsSync("/elsewhere/state/omk")).toBe(false); // pure: created nothing
  });

  it("never reads process.env: only the environment it is given", () => {
    const old = process.env["XDG_CONFIG_HOME"];
    process.env["XDG_CONFIG_HOME"] = "/from-process-env";
    try {
      expect(omkDirs({ HOME: "/home/ada" }).config).toBe("/home/ada/.config/omk");
    } finally {
      if (old === undefined) delete process.env["XDG_CONFIG_HOME"];
      else process.env["XDG_CONFIG_HOME"] = old;
    }
  });
});

describe("projectId", () => {
  it("is the sanitized basename plus 12 hex of the path's sha256", () => {
    const id = projectId("/work/My Repo!");
    expect(id).toMatch(/^my-repo-[0-9a-f]{12}$/);
    expect(projectId("/work/My Repo!")).toBe(id);
  });

  it("tells apart repos with the same name", () => {
    expect(projectId("/a/app")).not.toBe(projectId("/b/app"));
    expect(projectId("/a/app").startsWith("app-")).toBe(true);
  });

  it("has a name even for a root or dot-only basename", () => {
    expect(projectId("/")).toMatch(/^repo-[0-9a-f]{12}$/);
    expect(projectId("/x/...")).toMatch(/^repo-[0-9a-f]{12}$/);
    expect(projectId("/x/.hidden")).toMatch(/^hidden-[0-9a-f]{12}$/);
  });

  it.each([
    "/x/__init__",
    "/x/проект",
    "/x/a b\tc",
    "/x/-rf",
    `/x/${"long".repeat(30)}`,
    "/x/a..b",
    "/x/..x..",
    "/x/Ünïcode",
  ])("yields an id the state dirs accept for %j", (root) => {
    const id = projectId(root);
    expect(id).toMatch(/^[a-z0-9][a-z0-9._-]*-[0-9a-f]{12}$/);
    expect(id.length).toBeLessThanOrEqual(53);
    expect(() => projectStateDir({ state: "/s", config: "/c", cache: "/k" }, id)).not.toThrow();
  });
});

describe("state dirs", () => {
  const dirs = { state: "/s/omk", config: "/c/omk", cache: "/k/omk" };

  it("nests runs under their project", () => {
    expect(projectStateDir(dirs, "app-0123456789ab")).toBe("/s/omk/projects/app-0123456789ab");
    expect(runDir(dirs, "app-0123456789ab", "run-abc")).toBe("/s/omk/projects/app-0123456789ab/runs/run-abc");
  });

  it.each(["", "..", "../x", "a/b", ".hidden", "a\\b", "x..y", "-flag"])("rejects unsafe id %j", (bad) => {
    expect(() => runDir(dirs, "app", bad)).toThrow(OmkError);
    expect(() => projectStateDir(dirs, bad)).toThrow(/Invalid project id/);
  });
});
