import { describe, expect, it } from "vitest";
import { buildFeedback } from "../../../src/run/feedback.js";
import { attemptState, gateRecord, TASK } from "../journal/fixture.js";

const INSTRUCTION = "Fix the failures above in the working tree. Do not weaken or delete the tests.";

/** The contents of every ``` fenced block, in order. */
function fenced(text: string): string[] {
  return [...text.matchAll(/^```\n([\s\S]*?)\n?```$/gm)].map((m) => m[1] ?? "");
}

describe("buildFeedback", () => {
  it("renders one failing gate exactly", () => {
    const attempt = attemptState(1, {
      outcome: "gates_failed",
      gates: [
        gateRecord("test", "fail", { argv: ["npx", "vitest", "run"], tail: "FAIL a.test.ts\n1 failed\n" }),
      ],
    });
    expect(buildFeedback(TASK, attempt, 3)).toBe(
      [
        "Attempt 1 of 3 did not pass the project's gates.",
        "",
        `Task: ${TASK}`,
        "",
        "## Gate `test` fail (exit 1)",
        "`npx vitest run`",
        "",
        "```",
        "FAIL a.test.ts",
        "1 failed",
        "```",
        "",
        INSTRUCTION,
      ].join("\n"),
    );
  });

  it("lists only the gates that fail by the one rule, in order, with status, exit code and argv", () => {
    const attempt = attemptState(2, {
      outcome: "gates_failed",
      gates: [
        gateRecord("lint", "pass", { tail: "lint ok" }),
        gateRecord("test", "fail", { exitCode: 2, tail: "test broke" }),
        gateRecord("e2e", "fail", { required: false, tail: "e2e broke" }),
        gateRecord("flaky", "fail", { allowFail: true, tail: "flaky broke" }),
        gateRecord("docs", "skip", { tail: "docs skipped" }),
        gateRecord("build", "timeout", { argv: ["make", "-j4", "all"], tail: "still building" }),
        gateRecord("types", "error", { exitCode: null, tail: "spawn ENOENT" }),
      ],
    });
    const text = buildFeedback(TASK, attempt, 3);
    expect(text.startsWith("Attempt 2 of 3 did not pass the project's gates.\n")).toBe(true);
    expect(text.match(/^## Gate .*$/gm)).toEqual([
      "## Gate `test` fail (exit 2)",
      "## Gate `build` timeout (exit none)",
      "## Gate `types` error (exit none)",
    ]);
    expect(text).toContain("## Gate `build` timeout (exit none)\n`make -j4 all`\n");
    expect(fenced(text)).toEqual(["test broke", "still building", "spawn ENOENT"]);
    for (const quiet of ["lint ok", "e2e broke", "flaky broke", "docs skipped"])
      expect(text).not.toContain(quiet);
  });

  it("keeps only the last 60 lines of a gate's tail, trailing blank lines dropped", () => {
    const tail = `${Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join("\n")}\n\n\n`;
    const text = buildFeedback(TASK, attemptState(1, { gates: [gateRecord("test", "fail", { tail })] }), 3);
    const [block] = fenced(text);
    expect(block?.split("\n")).toEqual(Array.from({ length: 60 }, (_, i) => `line ${i + 41}`));
    expect(text).not.toContain("line 40\n");
  });

  it.each([
    ["max_steps_reached", "step limit of 100 reached"],
    ["failed", "agent exited with code 1"],
    ["cancelled", "interrupted"],
  ] as const)("mentions a turn that ended %s", (status, detail) => {
    const attempt = attemptState(1, { agent: { status, detail }, gates: [gateRecord("test", "fail")] });
    const lines = buildFeedback(TASK, attempt, 2).split("\n");
    expect(lines.slice(4, 6)).toEqual([`Your previous turn ended with ${status}: ${detail}`, ""]);
  });

  it("says nothing about a finished turn or one that was never recorded", () => {
    for (const agent of [{ status: "finished" as const, detail: "done" }, null]) {
      const text = buildFeedback(TASK, attemptState(1, { agent, gates: [gateRecord("test", "fail")] }), 2);
      expect(text).not.toContain("Your previous turn");
    }
  });

  it("ends with the instruction line, even when no gate is failing", () => {
    for (const gates of [[gateRecord("test", "fail")], [gateRecord("test")], []]) {
      const text = buildFeedback(TASK, attemptState(1, { gates }), 2);
      expect(text.split("\n").at(-1)).toBe(INSTRUCTION);
    }
  });

  it("is a pure function of the recorded attempt (a resume rebuilds the same prompt)", () => {
    const attempt = () => attemptState(2, { gates: [gateRecord("test", "fail", { tail: "x\ny" })] });
    expect(buildFeedback(TASK, attempt(), 3)).toBe(buildFeedback(TASK, attempt(), 3));
  });
});
