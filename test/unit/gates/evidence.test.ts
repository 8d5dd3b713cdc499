import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { failingGates, type GateStatus, gateFailed, gatesOk } from "../../../src/gates/evidence.js";
import { arbGate, GATE_STATUSES, gateRecord } from "../journal/fixture.js";

const verdict = (status: GateStatus, required: boolean, allowFail: boolean) => ({
  name: "g",
  status,
  required,
  allowFail,
});

describe("gateFailed: the one rule", () => {
  it.each([
    ["pass", false],
    ["skip", false],
    ["fail", true],
    ["timeout", true],
    ["error", true],
  ] as const)("a required gate with status %s failed: %s", (status, failed) => {
    expect(gateFailed(verdict(status, true, false))).toBe(failed);
  });

  it.each(GATE_STATUSES)("an optional or allow_fail gate never fails the change (status %s)", (status) => {
    expect(gateFailed(verdict(status, false, false))).toBe(false);
    expect(gateFailed(verdict(status, true, true))).toBe(false);
    expect(gateFailed(verdict(status, false, true))).toBe(false);
  });

  it("treats a status it does not know (a newer omk's) as not passing", () => {
    expect(gateFailed({ name: "g", status: "flaky", required: true, allowFail: false })).toBe(true);
  });
});

describe("failingGates", () => {
  it("keeps the failing gates in order, as the same objects", () => {
    const lint = gateRecord("lint", "fail");
    const test = gateRecord("test", "pass");
    const e2e = gateRecord("e2e", "fail", { required: false });
    const flaky = gateRecord("flaky", "timeout", { allowFail: true });
    const build = gateRecord("build", "error");
    const docs = gateRecord("docs", "skip");
    const failing = failingGates([lint, test, e2e, flaky, build, docs]);
    expect(failing).toEqual([lint, build]);
    expect(failing[0]).toBe(lint);
    expect(failing[1]).toBe(build);
  });

  it("is empty for no gates", () => {
    expect(failingGates([])).toEqual([]);
  });
});

describe("gatesOk", () => {
  it.each([
    ["no gates", true, []],
    ["all pass", true, [gateRecord("lint"), gateRecord("test")]],
    ["pass and skip", true, [gateRecord("lint"), gateRecord("test", "skip")]],
    ["an optional failure", true, [gateRecord("test"), gateRecord("e2e", "fail", { required: false })]],
    ["an allow_fail timeout", true, [gateRecord("test"), gateRecord("e2e", "timeout", { allowFail: true })]],
    ["one required failure", false, [gateRecord("lint"), gateRecord("test", "fail")]],
    ["one required error", false, [gateRecord("test", "error")]],
  ])("%s → ok %s", (_name, ok, gates) => {
    expect(gatesOk(gates)).toBe(ok);
  });

  it("is ok exactly when nothing is failing, and failing gates are a subsequence of the input", () => {
    fc.assert(
      fc.property(fc.array(arbGate, { maxLength: 6 }), (gates) => {
        const failing = failingGates(gates);
        expect(gatesOk(gates)).toBe(failing.length === 0);
        let from = 0;
        for (const g of failing) {
          const at = gates.indexOf(g, from);
          expect(at).toBeGreaterThanOrEqual(from);
          from = at + 1;
        }
      }),
    );
  });
});
