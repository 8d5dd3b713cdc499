import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ofKind, type Project, project } from "../helpers/project.js";

/**
 * The feedback of a real node:test gate, through the built CLI: attempt 1 leaves a failing test, attempt
 * 2 reads OMK_FEEDBACK_FILE, checks what an agent needs is there (and what it must not see is not), and
 * fixes the code.
 */

const MATH = "export function multiply(a, b) {\n  return a * b + 1;\n}\n";
const TEST = `import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { multiply } from "../math.js";

describe("multiply", () => {
  it("handles zero", () => {
    assert.equal(multiply(7, 0), 0);
  });
});
`;
const TASK = "make multiply(7, 0) return 0";

describe("omk run: the feedback of a failing node:test gate", () => {
  let h: Project;
  beforeEach(async () => {
    h = await project(
      { "math.js": MATH, "test/math.test.js": TEST, "package.json": '{ "type": "module" }\n' },
      {
        // The spec reporter in colour: the recorded output carries ANSI escapes and absolute paths.
        gates: [
          {
            name: "test",
            args: ["--test", "--test-reporter=spec", "test/math.test.js"],
            extra: 'env = { FORCE_COLOR = "1" }\n',
          },
        ],
      },
    );
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it("names the failing test and its assertion, with no escapes or worktree paths, and the diff stat", async () => {
    const seen = join(h.sb.dir, "seen.json");
    const agent = h.script(
      "agent",
      `import { readFileSync, writeFileSync } from "node:fs";
let stdin = "";
process.stdin.on("data", (d) => { stdin += d; });
process.stdin.on("end", () => {
  if (process.env.OMK_ATTEMPT === "1") {
    // Still wrong, and a second file: the feedback must say what this attempt changed.
    writeFileSync("math.js", ${JSON.stringify(MATH.replace("+ 1", "+ 2"))});
    writeFileSync("notes.txt", "tried +2\\n");
    process.exit(0);
  }
  const file = process.env.OMK_FEEDBACK_FILE;
  const feedback = readFileSync(file, "utf8");
  writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ feedback, file, stdin, task: process.env.OMK_TASK }));
  const needs = ["multiply > handles zero", "Expected values to be strictly equal", "2 !== 0", "math.js"];
  const forbidden = ["\\u001b", "/.omk/worktrees/", "file://"];
  if (!needs.every((n) => feedback.includes(n)) || forbidden.some((f) => feedback.includes(f))) {
    console.error("feedback is missing what the agent needs");
    process.exit(1);
  }
  writeFileSync("math.js", "export function multiply(a, b) {\\n  return a * b;\\n}\\n");
});
`,
    );
    const { r, doc } = await h.execRun(agent, { task: TASK });
    expect(r.code, r.stderr).toBe(0);
    expect(doc.status).toBe("ready");
    expect(doc.attempts).toBe(2);

    // The attack surface is real: the recorded gate output has escapes and gate-workspace paths.
    const events = h.ledger(doc.runId);
    const first = ofKind(events, "GateResult").find((e) => e.data["attempt"] === 1);
    const tail = String((first?.data["gate"] as { tail?: string } | undefined)?.tail);
    expect(tail).toContain("\u001b[");
    expect(tail).toContain(`${h.repo.root}/.omk/worktrees/`);

    const got = JSON.parse(readFileSync(seen, "utf8")) as Record<string, string>;
    const feedback = got["feedback"] ?? "";
    // The failing test and its assertion message come first, then the output's tail.
    const listed = feedback.indexOf("1. multiply > handles zero (test/math.test.js:6:3)");
    expect(listed, feedback).toBeGreaterThan(0);
    expect(
      feedback.indexOf("AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:"),
    ).toBeGreaterThan(listed);
    expect(feedback.indexOf("Last lines of its output:")).toBeGreaterThan(listed);
    expect(feedback).toContain("2 !== 0");
    expect(feedback).toContain("(test/math.test.js:7:12)");
    expect(feedback).not.toContain("\u001b");
    expect(feedback).not.toContain(h.repo.root);
    expect(feedback).not.toContain(".omk/worktrees");
    // The previous attempt's change, as recorded when it was judged.
    expect(feedback).toContain("## Your change in attempt 1: 2 files changed, +2 -1\n");
    expect(feedback).toContain("- M math.js (+1 -1)\n");
    expect(feedback).toContain("- A notes.txt (+1 -0)\n");

    // OMK_TASK is the task alone; stdin is the task, then the feedback; the artifact is what it read.
    expect(got["task"]).toBe(TASK);
    expect(got["stdin"]).toBe(`${TASK}\n\n---\n\n${feedback}`);
    expect(got["file"]).toBe(join(h.runDir(doc.runId), "artifacts", "feedback-2.md"));
    expect(feedback).not.toContain(TASK);
  });
});
