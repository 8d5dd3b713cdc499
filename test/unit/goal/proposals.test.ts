import { describe, expect, it } from "vitest";
import { OmkError } from "../../../src/core/errors.js";
import { publishingIntent } from "../../../src/goal/intent.js";
import { LIMITS, parsePlanText, validateProposals } from "../../../src/goal/proposals.js";

const t = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  title: `task ${id}`,
  prompt: `do ${id}`,
  deps: [],
  read_set: [],
  write_set: [`src/${id}.ts`],
  ...over,
});

function rules(tasks: unknown[], protect: string[] = []) {
  return validateProposals(tasks, protect).rejected.map((r) => [r.id, r.rule]);
}

describe("validateProposals", () => {
  it("accepts a clean plan, mapping the set names", () => {
    const r = validateProposals([t("a"), t("b", { deps: ["a"], read_set: ["src/a.ts"] })]);
    expect(r.rejected).toEqual([]);
    expect(r.accepted[1]).toEqual({
      id: "b",
      title: "task b",
      prompt: "do b",
      deps: ["a"],
      readSet: ["src/a.ts"],
      writeSet: ["src/b.ts"],
    });
  });

  it("names the rule of each rejection", () => {
    expect(rules([{ id: "a" }])).toEqual([['"a"', "schema"]]);
    expect(rules([42])).toEqual([["#0", "schema"]]);
    expect(rules([t("../x")])).toEqual([['"../x"', "id_unsafe"]]);
    expect(rules([t("con")])).toEqual([['"con"', "id_unsafe"]]);
    expect(rules([t("a"), t("A")])).toEqual([
      ['"a"', "id_duplicate"],
      ['"A"', "id_duplicate"],
    ]);
    expect(rules([t("a", { deps: ["zz"] })])).toEqual([['"a"', "dep_unknown"]]);
    expect(rules([t("a", { deps: ["a"] })])).toEqual([['"a"', "cycle"]]);
    expect(rules([t("a", { deps: ["b"] }), t("b", { deps: ["a"] }), t("c", { deps: ["b"] })])).toEqual([
      ['"a"', "cycle"],
      ['"b"', "cycle"],
      ['"c"', "dep_rejected"],
    ]);
    expect(rules([t("a", { title: "Deploy to prod" })])).toEqual([['"a"', "publishing_intent"]]);
    expect(rules([t("a", { write_set: ["../x"] })])).toEqual([['"a"', "path_unsafe"]]);
    expect(rules([t("a", { read_set: [".git/config"] })])).toEqual([['"a"', "path_unsafe"]]);
    expect(rules([t("a", { write_set: ["{.git,src}/**"] })])).toEqual([['"a"', "path_unsafe"]]);
    expect(rules([t("a", { write_set: [".omk/gates.toml"] })])).toEqual([['"a"', "path_protected"]]);
    expect(rules([t("a", { write_set: ["Makefile"] })], ["Makefile", "package.json#scripts.test"])).toEqual([
      ['"a"', "path_protected"],
    ]);
    expect(rules([t("a", { write_set: [] })])).toEqual([['"a"', "write_set_empty"]]);
  });

  it("may read a protected path", () => {
    expect(rules([t("a", { read_set: [".omk/gates.toml"] })])).toEqual([]);
  });

  it("rejects what depends on a rejected task, transitively", () => {
    const r = validateProposals([
      t("a", { title: "publish it" }),
      t("b", { deps: ["a"] }),
      t("c", { deps: ["b"] }),
      t("d"),
    ]);
    expect(r.rejected.map((x) => x.rule)).toEqual(["publishing_intent", "dep_rejected", "dep_rejected"]);
    expect(r.accepted.map((x) => x.id)).toEqual(["d"]);
  });

  it("bounds sizes", () => {
    expect(rules([t("a", { prompt: "x".repeat(LIMITS.promptBytes + 1) })])[0]?.[1]).toBe("schema");
    expect(
      rules([
        t("a", { write_set: Array.from({ length: LIMITS.setEntries + 1 }, (_, i) => `f${i}`) }),
      ])[0]?.[1],
    ).toBe("schema");
    expect(rules([t("x".repeat(65))])[0]?.[1]).toBe("id_unsafe");
  });
});

describe("parsePlanText", () => {
  it("takes the tasks of a {tasks: [...]} document", () => {
    expect(parsePlanText(JSON.stringify({ tasks: [t("a")] }))).toHaveLength(1);
  });

  it.each([
    ["not json", "not valid JSON"],
    ["[]", "tasks"],
    ['{"tasks": []}', "tasks"],
    [JSON.stringify({ tasks: Array.from({ length: LIMITS.tasks + 1 }, (_, i) => t(`t${i}`)) }), "tasks"],
  ])("refuses %#", (text, message) => {
    let err: unknown;
    try {
      parsePlanText(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OmkError);
    expect((err as OmkError).code).toBe("PLAN_INVALID");
    expect((err as OmkError).exitCode).toBe(2);
    expect((err as OmkError).message).toContain(message);
  });
});

describe("publishingIntent", () => {
  it.each([
    "git push",
    "Publish the package",
    "npm_publish",
    "gitPush",
    "make a release",
    "tag v1",
    "upload artifacts",
    "pu\u200bsh",
    "р\u0443sh",
    "ｄｅｐｌｏｙ",
    "p.u.s.h",
    "up-load",
  ])("finds %j", (s) => {
    expect(publishingIntent(s)).not.toBeNull();
  });

  it.each([
    "Add a slugify helper",
    "rename the stage in storage",
    "fix vintage tagline parsing",
    "set up logging",
  ])("lets %j through", (s) => {
    expect(publishingIntent(s)).toBeNull();
  });
});
