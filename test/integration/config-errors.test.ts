import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { omk, sandbox } from "../helpers/cli.js";
import { makeRepo, type TestRepo } from "../helpers/git-repo.js";

describe("a broken .omk/config.toml", () => {
  let repo: TestRepo;
  let sb: ReturnType<typeof sandbox>;
  beforeEach(async () => {
    sb = sandbox("omk-cfg-");
    repo = await makeRepo({ ".omk/config.toml": '[run]\nexecution = "yolo"\nmax_attempts = 0\n' });
  });
  afterEach(async () => {
    sb.cleanup();
    await repo.cleanup();
  });

  it("stops every command that reads it with each problem at file:line:col, before any work", async () => {
    for (const args of [
      ["run", "--agent", "exec", "--agent-bin", "/bin/true", "x"],
      ["run", "show", "last"],
      ["land", "last"],
    ]) {
      const r = await omk([...args, "--json"], { cwd: repo.root, env: sb.env });
      expect(r.code, args.join(" ")).toBe(2);
      const error = r.json<{ error: { code: string; message: string } }>().error;
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.message).toMatch(/config\.toml:2:1: run\.execution: /);
      expect(error.message).toMatch(/config\.toml:3:1: run\.max_attempts: /);
    }
  });

  it("still lets `run list` show the runs: it reads no config", async () => {
    const r = await omk(["run", "list", "--json"], { cwd: repo.root, env: sb.env });
    expect(r.code).toBe(0);
    expect(r.json<{ runs: unknown[] }>().runs).toEqual([]);
  });
});
