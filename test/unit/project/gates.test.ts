import { afterEach, describe, expect, it } from "vitest";
import { gatesAtCommit } from "../../../src/project/gates.js";
import { makeRepo, type TestRepo } from "../../helpers/git-repo.js";

const gatesToml = (arg: string) => `[[gates]]\nname = "check"\ncommand = "node"\nargs = ["${arg}"]\n`;

describe("gatesAtCommit", () => {
  let repo: TestRepo;
  afterEach(async () => {
    await repo.cleanup();
  });

  it("reads each commit's own gates.toml, however often and in whatever order it is asked", async () => {
    repo = await makeRepo({ ".omk/gates.toml": gatesToml("one.mjs") });
    const first = repo.git(["rev-parse", "HEAD"]);
    const args = async (rev: string) => (await gatesAtCommit(repo.root, rev, {})).gates[0]?.args;
    expect(await args(first)).toEqual(["one.mjs"]);
    repo.write({ ".omk/gates.toml": gatesToml("two.mjs") });
    repo.git(["add", "-A"]);
    repo.git(["commit", "-q", "-m", "two"]);
    const second = repo.git(["rev-parse", "HEAD"]);
    expect(await args(second)).toEqual(["two.mjs"]);
    expect(await args(first)).toEqual(["one.mjs"]);
    // A name, not a commit id: read where it points now.
    expect(await args("HEAD")).toEqual(["two.mjs"]);
    repo.git(["reset", "-q", "--hard", first]);
    expect(await args("HEAD")).toEqual(["one.mjs"]);
    const atFirst = await gatesAtCommit(repo.root, first, {});
    expect(atFirst.committed?.rev).toBe(first);
    expect(atFirst.source).toBe(`.omk/gates.toml at ${first.slice(0, 12)}`);
  });
});
