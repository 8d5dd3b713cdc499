import { describe, expect, it } from "vitest";
import { RUN_SUBCOMMANDS_NOT_STARTING, startsRunFromHead } from "../../../src/cli/early-run.js";
import { buildProgram } from "../../../src/cli/program.js";

describe("startsRunFromHead (argv judged before the CLI loads)", () => {
  it("knows every subcommand of `omk run` that does not start a run", () => {
    const run = buildProgram().commands.find((c) => c.name() === "run")!;
    const names = run.commands.flatMap((c) => [c.name(), ...c.aliases()]).filter((n) => n !== "start");
    expect([...RUN_SUBCOMMANDS_NOT_STARTING].sort()).toEqual([...names, "help"].sort());
  });

  it("is true only for argv that certainly starts a run from HEAD", () => {
    const yes = [
      ["run", "fix", "the", "flaky", "test"],
      ["run", "add retry to the http client"],
      ["run", "--agent", "exec", "--agent-bin", "./a.sh", "--json", "task"],
      ["run", "--task-file", "-"],
      ["run", "start", "fix", "it"],
      ["run", "--allow-dirty", "fix it"],
    ];
    const no = [
      [],
      ["run"],
      ["goal", "run", "x", "y"],
      ["--json", "run", "fix", "it"],
      ["run", "list"],
      ["run", "show", "last"],
      ["run", "resume", "last", "--max-attempts", "5"],
      ["run", "lst"],
      ["run", "fix"],
      ["run", "start"],
      ["run", "--help"],
      ["run", "fix", "it", "-h"],
      ["run", "--base", "HEAD~1", "fix", "it"],
      ["run", "--base=HEAD~1", "fix", "it"],
    ];
    for (const a of yes) expect(startsRunFromHead(a), a.join(" ")).toBe(true);
    for (const a of no) expect(startsRunFromHead(a), a.join(" ")).toBe(false);
  });
});
