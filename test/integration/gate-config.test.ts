import { afterEach, describe, expect, it } from "vitest";
import { type Project, project } from "../helpers/project.js";

describe("gate mistakes are config errors before any agent starts", () => {
  let p: Project;
  afterEach(async () => {
    await p.cleanup();
  });

  const refused = async (files: Record<string, string>, message: RegExp, hint: RegExp) => {
    p = await project(files, { gates: [] });
    const agent = p.writerAgent("agent", { "x.txt": "changed\n" });
    const r = await p.omk(["run", "--json", "--agent", "exec", "--agent-bin", agent, "change x"]);
    expect(r.code, r.stderr).toBe(2);
    const error = r.json<{ error: { code: string; message: string; hint: string } }>().error;
    expect(error).toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringMatching(message),
      hint: expect.stringMatching(hint),
    });
    // Nothing was started: no run directory, no worktree.
    expect(p.stateFiles()).toEqual([]);
    return r;
  };

  it("a shell string as the command names the fix", async () => {
    await refused(
      { ".omk/gates.toml": '[[gates]]\nname = "test"\ncommand = "node --version"\n' },
      /gate test: command = "node --version" holds arguments; write command = "node" and args = \["--version"\]/,
      /command is the executable alone/,
    );
  });

  it("a missing executable", async () => {
    await refused(
      { ".omk/gates.toml": '[[gates]]\nname = "test"\ncommand = "definitely-not-installed-omk"\n' },
      /gate test: "definitely-not-installed-omk" is not an executable/,
      /install the tool/,
    );
  });

  it("no gates at all: run and verify agree", async () => {
    await refused({ "x.txt": "x\n" }, /no gates: nothing would judge this run/, /omk init/);
    const v = await p.omk(["verify", "--json"]);
    expect(v.code).toBe(2);
    expect(v.json<{ error: { code: string } }>().error.code).toBe("CONFIG_INVALID");
  });
});
