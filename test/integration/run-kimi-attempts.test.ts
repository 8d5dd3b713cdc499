import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RunDoc } from "../helpers/cli.js";
import { answerProject, FAKE_KIMI, ofKind, type Project } from "../helpers/project.js";

describe("a kimi session kept across attempts", () => {
  let p: Project;
  afterEach(async () => {
    await p.cleanup();
  });

  it("records attempt 2's approvals and events under attempt 2", async () => {
    p = await answerProject({ "answer.txt": "0\n" });
    const scenario = join(p.sb.dir, "scenario.json");
    writeFileSync(
      scenario,
      JSON.stringify({
        turns: [
          { steps: [{ write: { path: "answer.txt", content: "41\n" } }] },
          { steps: [{ write: { path: "answer.txt", content: "42\n" } }] },
        ],
      }),
    );
    const r = await p.omk(["run", "--json", "--agent", "kimi", "--agent-bin", FAKE_KIMI, "answer"], {
      env: { OMK_FAKE_KIMI_SCENARIO: scenario },
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<RunDoc>();
    const events = p.ledger(doc.runId);
    expect(ofKind(events, "AgentStarted").map((e) => [e.data["attempt"], e.data["resumedSession"]])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(ofKind(events, "ApprovalAsked").map((e) => e.data["attempt"])).toEqual([1, 2]);
    expect(ofKind(events, "ApprovalDecided").map((e) => e.data["attempt"])).toEqual([1, 2]);
  });
});
