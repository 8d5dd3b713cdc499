import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Project, project } from "../helpers/project.js";

/**
 * Gemini CLI reads at most 8 MiB of a prompt from stdin and goes on with what it read; omk gives
 * gemini the prompt on stdin, so a longer task fails the turn, saying why, instead of reaching the
 * agent cut. A stand-in `gemini` logs each call (the real binary runs in test/e2e).
 */

const FAKE_GEMINI = `import { appendFileSync, readFileSync } from "node:fs";
const argv = process.argv.slice(2);
if (argv[0] === "--version") { console.log("0.61.0"); process.exit(0); }
appendFileSync(process.env.OMK_TEST_LOG, JSON.stringify({ bytes: readFileSync(0).length }) + "\\n");
console.log(JSON.stringify({ type: "init", session_id: "g-1", model: "fake" }));
console.log(JSON.stringify({ type: "result", status: "success", stats: {} }));
`;

let p: Project | null = null;
afterEach(async () => {
  await p?.cleanup();
  p = null;
});

describe("omk run --agent gemini with a task longer than Gemini CLI reads", () => {
  it("fails the turn naming the limit and never starts gemini; a task within it reaches gemini whole", async () => {
    p = await project({ "a.txt": "start\n" });
    const gemini = p.script("gemini", FAKE_GEMINI);
    const log = join(p.sb.dir, "gemini-calls.jsonl");
    const env = { GEMINI_BIN: gemini, OMK_TEST_LOG: log };
    const big = join(p.sb.dir, "big-task.md");
    writeFileSync(big, `make a.txt say ok\n${"x".repeat(8 * 1024 * 1024 + 10)}\n`);
    const r = await p.omk(["run", "--json", "--agent", "gemini", "--max-attempts", "1", "--task-file", big], {
      env,
      timeoutMs: 120_000,
    });
    const doc = r.json<{ status: string; runId: string }>();
    expect(doc.status, r.stderr).toBe("not_ready");
    const finished = p.ledger(doc.runId).find((l) => l.kind === "AgentFinished");
    expect(finished?.data).toMatchObject({ status: "failed" });
    expect(String(finished?.data["detail"])).toMatch(/reads at most 8388608 from stdin/);
    expect(existsSync(log)).toBe(false);

    const small = await p.omk(["run", "--json", "--agent", "gemini", "--max-attempts", "1", "say ok"], {
      env,
    });
    expect(small.json<{ status: string }>().status, small.stderr).toBe("not_ready");
    expect(readFileSync(log, "utf8").trim()).toBe(JSON.stringify({ bytes: "say ok".length }));
  });
});
