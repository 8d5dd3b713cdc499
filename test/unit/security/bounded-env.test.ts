import { beforeEach, describe, expect, it } from "vitest";
import { KNOBS, readIntKnob, readKnobs, resetKnobWarnings } from "../../../src/security/bounded-env.js";

const knob = KNOBS.gateTimeoutSecs;

function read(value: string | undefined): { value: number; warnings: string[] } {
  const warnings: string[] = [];
  const result = readIntKnob({ [knob.name]: value }, knob, (m) => warnings.push(m));
  return { value: result, warnings };
}

describe("readIntKnob", () => {
  beforeEach(() => resetKnobWarnings());

  it("declares the documented knobs", () => {
    expect(KNOBS).toEqual({
      goalInterruptPollMs: { name: "OMK_GOAL_INTERRUPT_POLL_MS", min: 10, max: 60_000, default: 500 },
      goalAgentLeaseSecs: { name: "OMK_GOAL_AGENT_LEASE_SECS", min: 5, max: 86_400, default: 120 },
      gateTimeoutSecs: { name: "OMK_GATE_TIMEOUT_SECS", min: 1, max: 86_400, default: 1800 },
      killGraceMs: { name: "OMK_KILL_GRACE_MS", min: 0, max: 60_000, default: 2000 },
      outputCapBytes: { name: "OMK_OUTPUT_CAP_BYTES", min: 1024, max: 1_073_741_824, default: 8_388_608 },
      agentOutputCapBytes: {
        name: "OMK_AGENT_OUTPUT_CAP_BYTES",
        min: 4096,
        max: 1_073_741_824,
        default: 8_388_608,
      },
    });
  });

  it("reads strict decimal integers within range", () => {
    expect(read("12")).toEqual({ value: 12, warnings: [] });
    expect(read("1")).toEqual({ value: 1, warnings: [] });
    expect(read("86400")).toEqual({ value: 86_400, warnings: [] });
  });

  it("uses the default silently when unset or empty", () => {
    expect(read(undefined)).toEqual({ value: 1800, warnings: [] });
    expect(read("")).toEqual({ value: 1800, warnings: [] });
  });

  it.each([
    "12abc",
    "1e3",
    " 12",
    "12 ",
    "0x10",
    "+12",
    "1.5",
    "-",
    "NaN",
    "Infinity",
    "１２",
    "99999999999999999999",
  ])("falls back with one warning for %j", (raw) => {
    const { value, warnings } = read(raw);
    expect(value).toBe(knob.default);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("OMK_GATE_TIMEOUT_SECS");
    expect(warnings[0]).toContain("1 to 86400");
    // The value itself is not echoed (it may be anything, even a pasted secret).
    if (raw.length >= 3) expect(warnings[0]).not.toContain(raw);
  });

  it("falls back for out-of-range values, including the edges just outside", () => {
    expect(read("0").value).toBe(1800);
    resetKnobWarnings();
    expect(read("86401").value).toBe(1800);
    resetKnobWarnings();
    expect(read("-5").value).toBe(1800);
  });

  it("accepts the range edges themselves and normalises -0", () => {
    const grace = KNOBS.killGraceMs;
    expect(Object.is(readIntKnob({ [grace.name]: "-0" }, grace), 0)).toBe(true);
    expect(readIntKnob({ [grace.name]: "60000" }, grace)).toBe(60_000);
  });

  it("warns at most once per variable per process until reset", () => {
    expect(read("bad").warnings).toHaveLength(1);
    expect(read("worse").warnings).toHaveLength(0);
    const other = KNOBS.killGraceMs;
    const warnings: string[] = [];
    readIntKnob({ [other.name]: "x" }, other, (m) => warnings.push(m));
    expect(warnings).toHaveLength(1);
    resetKnobWarnings();
    expect(read("bad").warnings).toHaveLength(1);
  });

  it("does not spend the warning when no callback is given", () => {
    expect(readIntKnob({ [knob.name]: "bad" }, knob)).toBe(1800);
    expect(read("bad").warnings).toHaveLength(1);
  });

  it("reads every knob at once", () => {
    const warnings: string[] = [];
    const values = readKnobs({ OMK_KILL_GRACE_MS: "0", OMK_OUTPUT_CAP_BYTES: "10" }, (m) => warnings.push(m));
    expect(values).toEqual({
      goalInterruptPollMs: 500,
      goalAgentLeaseSecs: 120,
      gateTimeoutSecs: 1800,
      killGraceMs: 0,
      outputCapBytes: 8_388_608,
      agentOutputCapBytes: 8_388_608,
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("OMK_OUTPUT_CAP_BYTES");
  });
});
