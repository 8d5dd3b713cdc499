import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeEvent,
  decodeEvents,
  RUN_EVENT_KINDS,
  type RunEventInput,
  runEvent,
} from "../../../src/journal/events.js";
import { ev, gateRecord, ledger, rawEvent } from "./fixture.js";

const [, startedInput] = ev.started() as readonly ["RunStarted", RunEventInput<"RunStarted">];

describe("runEvent", () => {
  it("returns the parsed payload, keeping fields a newer omk may add", () => {
    const e = runEvent("AttemptStarted", {
      attempt: 2,
      feedbackFrom: 1,
      extra: "kept",
    } as RunEventInput<"AttemptStarted">);
    expect(e).toEqual({ kind: "AttemptStarted", data: { attempt: 2, feedbackFrom: 1, extra: "kept" } });
  });

  it("accepts a payload that leaves optional fields out", () => {
    expect(runEvent("AgentStarted", { attempt: 1, adapter: "exec", resumedSession: false }).data).toEqual({
      attempt: 1,
      adapter: "exec",
      resumedSession: false,
    });
  });

  const { execution: _omitted, ...withoutExecution } = startedInput;
  it.each([
    [
      "RunStarted without execution",
      "RunStarted",
      withoutExecution,
      /^invalid RunStarted payload: execution: /,
    ],
    ["RunStarted with execution yolo", "RunStarted", { ...startedInput, execution: "yolo" }, /: execution: /],
    ["RunStarted with maxAttempts 0", "RunStarted", { ...startedInput, maxAttempts: 0 }, /: maxAttempts: /],
    ["AttemptStarted for attempt 0", "AttemptStarted", { attempt: 0, feedbackFrom: null }, /: attempt: /],
    [
      "GateResult with a short sha",
      "GateResult",
      { attempt: 1, gate: gateRecord("test", "pass", { stdoutSha256: "abc" }) },
      /: gate\.stdoutSha256: /,
    ],
    [
      "RunFinished with an unknown status",
      "RunFinished",
      { status: "done", reasons: [], headCommit: null },
      /status/,
    ],
    ["a payload that is not an object", "RunResumed", null, /^invalid RunResumed payload: \(root\): /],
  ] as const)("rejects %s", (_name, kind, data, message) => {
    expect(() => runEvent(kind, data as never)).toThrow(message);
  });
});

describe("decodeEvent", () => {
  it("decodes a known kind, keeping the ledger fields", () => {
    const raw = rawEvent(4, "AttemptFinished", { attempt: 1, outcome: "passed" });
    expect(decodeEvent(raw)).toEqual({ ok: true, event: raw });
  });

  it.each(["GoalStarted", "toString", "__proto__", "constructor", "hasOwnProperty", ""])(
    "reports kind %j as unknown (a newer omk's)",
    (kind) => {
      expect(decodeEvent(rawEvent(7, kind, {}))).toEqual({
        ok: false,
        problem: "unknown_kind",
        seq: 7,
        kind,
        message: `seq 7: unknown event kind ${JSON.stringify(kind)}`,
      });
    },
  );

  it("reports a known kind whose payload does not decode as invalid, naming the field", () => {
    const d = decodeEvent(rawEvent(9, "AttemptFinished", { attempt: 1, outcome: "won" }));
    expect(d).toMatchObject({ ok: false, problem: "invalid_payload", seq: 9, kind: "AttemptFinished" });
    expect(!d.ok && d.message).toMatch(/^seq 9 AttemptFinished: outcome: /);
  });

  it("never throws, whatever the kind and data", () => {
    const kind = fc.oneof(fc.constantFrom(...RUN_EVENT_KINDS), fc.string());
    const data = fc.oneof(
      fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })),
      fc.jsonValue({ maxDepth: 2 }),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), kind, data, (seq, k, d) => {
        const result = decodeEvent(rawEvent(seq, k, d as Record<string, unknown>));
        if (!result.ok) expect(result.seq).toBe(seq);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("decodeEvents", () => {
  it("keeps the events that decode, in order, and reports unknown kinds and invalid payloads apart", () => {
    const [started, , ready] = ledger([ev.started(), ev.resumed(), ev.workspaceReady()]);
    const raw = [
      started!,
      rawEvent(2, "GoalStarted", { goal: "g" }),
      ready!,
      rawEvent(4, "GateResult", { attempt: 1 }),
      rawEvent(5, "Hologram", {}),
    ];
    const out = decodeEvents(raw);
    expect(out.events).toEqual([started, ready]);
    expect(out.unknown).toEqual([
      { seq: 2, kind: "GoalStarted" },
      { seq: 5, kind: "Hologram" },
    ]);
    expect(out.invalid).toEqual([
      { seq: 4, kind: "GateResult", message: expect.stringMatching(/^seq 4 GateResult: gate: /) },
    ]);
  });

  it("is empty for no events", () => {
    expect(decodeEvents([])).toEqual({ events: [], unknown: [], invalid: [] });
  });
});
