import { describe, expect, it } from "vitest";
import type { RunState } from "../../../src/journal/state.js";
import { MAX_ATTEMPTS, moreAttemptsCommand, reopenRefusal } from "../../../src/run/reopen.js";
import { attemptState, runState } from "../journal/fixture.js";

const failed = (n: number) => attemptState(n, { outcome: "gates_failed" });
const finished = (
  status: NonNullable<RunState["finished"]>["status"],
  spent: number,
  over: Partial<RunState> = {},
) =>
  runState(
    Array.from({ length: spent }, (_, i) => failed(i + 1)),
    { finished: { status, reasons: [`${status} because`], headCommit: null }, ...over },
  );

describe("reopening a finished run with a bigger budget", () => {
  it("takes a not_ready run whose new total exceeds what it spent, up to the cap", () => {
    expect(reopenRefusal(finished("not_ready", 3), 4)).toBeNull();
    expect(reopenRefusal(finished("not_ready", 3), MAX_ATTEMPTS)).toBeNull();
    expect(reopenRefusal(finished("not_ready", 3), 3)?.message).toMatch(
      /gives run .* no new attempt: it has spent 3/,
    );
    expect(reopenRefusal(finished("not_ready", 3), 2)?.hint).toBe(
      "omk run resume run-fixture --max-attempts 4   (4–20)",
    );
  });

  it("refuses every other ending with its own reason, all as usage errors", () => {
    const cases: [RunState, RegExp][] = [
      [finished("ready", 1), /is ready: every required gate passed/],
      [finished("blocked", 1), /is blocked \(blocked because\): a blocked change is never retried/],
      [
        finished("failed_infra", 1),
        /is failed_infra \(failed_infra because\): more attempts would not change that/,
      ],
      [finished("cancelled", 1), /is cancelled/],
      [
        finished("not_ready", 1, { landed: { commit: "d".repeat(40), fastForward: true } }),
        /already landed as dddddddddddd/,
      ],
      [runState([failed(1)]), /has not finished/],
      [finished("not_ready", MAX_ATTEMPTS), /has spent 20 attempts, the most a run may have \(20\)/],
    ];
    for (const [s, message] of cases) {
      const err = reopenRefusal(s, MAX_ATTEMPTS);
      expect(err?.message, String(message)).toMatch(message);
      expect(err?.code).toBe("USAGE");
      expect(err?.exitCode).toBe(2);
    }
  });

  it("names the command with a budget the run can take, or none at the cap", () => {
    expect(moreAttemptsCommand(finished("not_ready", 3))).toBe("omk run resume run-fixture --max-attempts 5");
    expect(moreAttemptsCommand(finished("not_ready", 19))).toBe(
      "omk run resume run-fixture --max-attempts 20",
    );
    expect(moreAttemptsCommand(finished("not_ready", 20))).toBeNull();
    for (let spent = 1; spent < MAX_ATTEMPTS; spent++) {
      const s = finished("not_ready", spent);
      const n = Number(/--max-attempts (\d+)$/.exec(moreAttemptsCommand(s)!)![1]);
      expect(reopenRefusal(s, n)).toBeNull();
    }
  });
});
