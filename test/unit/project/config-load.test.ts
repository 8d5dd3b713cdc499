import { describe, expect, it } from "vitest";
import { OmkError } from "../../../src/core/errors.js";
import { parseProjectConfig } from "../../../src/project/config-load.js";

const FILE = "/repo/.omk/config.toml";

function problem(text: string): OmkError {
  try {
    parseProjectConfig(text, FILE);
  } catch (err) {
    if (err instanceof OmkError) return err;
    throw err;
  }
  throw new Error("expected a config error");
}

describe(".omk/config.toml", () => {
  it("is all defaults when empty, and keeps what it is given", () => {
    expect(parseProjectConfig("", FILE).run).toEqual({
      agent: "kimi",
      execution: "auto",
      max_attempts: 3,
      agent_timeout_secs: 3600,
    });
    expect(parseProjectConfig('[run]\nexecution = "never"\n', FILE).run.execution).toBe("never");
  });

  it("names every problem as file:line:col", () => {
    const e = problem(
      [
        "version = 1",
        "",
        "[run]",
        'agent = "kimi"',
        'execution = "yolo"',
        "max_attempts = 0",
        "",
        "[land]",
        '  mode = "rebase"',
        "colour = true",
      ].join("\n"),
    );
    expect(e.code).toBe("CONFIG_INVALID");
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(`${FILE}:5:1: run.execution:`);
    expect(e.message).toContain(`${FILE}:6:1: run.max_attempts:`);
    expect(e.message).toContain(`${FILE}:9:3: land.mode:`);
    expect(e.message).toContain(`${FILE}:10:1: land.colour: unknown key "colour"`);
    expect(e.hint).toMatch(/omk init/);
  });

  it("points at the table when a whole table is wrong, and at the syntax error's column", () => {
    expect(problem('[planner]\nmode = "x"\n').message).toContain(
      `${FILE}:1:1: planner: unknown key "planner"`,
    );
    expect(problem('[sandbox]\nmode = "x"\n').message).toContain(`${FILE}:2:1: sandbox.mode:`);
    expect(problem('[gates]\nnetwork = "lan"\n').message).toContain(`${FILE}:2:1: gates.network:`);
    const syntax = problem('[run]\nagent = "kimi\n');
    expect(syntax.message).toMatch(new RegExp(`^${FILE}:2:\\d+: TOML syntax error`));
  });
});
