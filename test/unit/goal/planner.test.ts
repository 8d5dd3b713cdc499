import { describe, expect, it } from "vitest";
import { laneEnv, taskPrompt } from "../../../src/goal/lanes.js";
import { renderPlanPrompt } from "../../../src/goal/plan-prompt.js";
import { extractPlanDocument } from "../../../src/goal/planner.js";

describe("extractPlanDocument", () => {
  const doc = '{"tasks": [{"id": "a"}]}';
  it.each([
    [doc, doc],
    [`  ${doc}\n`, doc],
    [`Here is the plan:\n\`\`\`json\n${doc}\n\`\`\`\nDone.`, doc],
    [`first\n\`\`\`json\n{"tasks": []}\n\`\`\`\nthen\n\`\`\`\n${doc}\n\`\`\``, doc],
    [`The plan is ${doc} as asked.`, doc],
    ["no json at all", "no json at all"],
  ])("%#", (text, expected) => {
    expect(extractPlanDocument(text)).toBe(expected);
  });
});

describe("lanes", () => {
  it("gives each lane its number and its own port range, keeping the parent env", () => {
    const env = laneEnv({ PATH: "/bin" }, 2, 20_000, 100, "goal-x-y", "t1");
    expect(env).toEqual({
      PATH: "/bin",
      OMK_LANE: "2",
      OMK_PORT_BASE: "20200",
      OMK_GOAL_ID: "goal-x-y",
      OMK_GOAL_TASK: "t1",
    });
  });

  it("tells the agent which files it may change", () => {
    const p = taskPrompt({
      id: "a",
      title: "T",
      prompt: "do it",
      deps: [],
      readSet: [],
      writeSet: ["src/a.ts", "test/**"],
    });
    expect(p).toContain("do it");
    expect(p).toContain("src/a.ts, test/**");
  });

  it("fills the prompt template", () => {
    expect(renderPlanPrompt("G={{goal}} L={{limits}} G={{goal}}", "x", "y")).toBe("G=x L=y G=x");
  });
});
