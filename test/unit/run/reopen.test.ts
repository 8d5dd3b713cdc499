import { describe, expect, it } from "vitest";
import type { RunState } from "../../../src/journal/state.js";
import {
  acceptOutsideCommand,
  MAX_ATTEMPTS,
  moreAttemptsCommand,
  reopenRefusal,
} from "../../../src/run/reopen.js";
import { attemptState, runState } from "../journal/fixture.js";

const budget = (maxAttempts: number) => ({ maxAttempts, agent: null });
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
    expect(reopenRefusal(finished("not_ready", 3), budget(4))).toBeNull();
    expect(reopenRefusal(finished("not_ready", 3), budget(MAX_ATTEMPTS))).toBeNull();
    expect(reopenRefusal(finished("not_ready", 3), budget(3))?.message).toMatch(
      /gives run .* no new attempt: it has spent 3/,
    );
    expect(reopenRefusal(finished("not_ready", 3), budget(2))?.hint).toBe(
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
      const err = reopenRefusal(s, budget(MAX_ATTEMPTS));
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
      expect(reopenRefusal(s, budget(n))).toBeNull();
    }
  });
});

describe("accepting the changes outside the worktree that blocked a run", () => {
  const accept = { maxAttempts: null, agent: null, acceptOutside: true };
  const blockedBy = (over: Partial<RunState["attempts"][number]>) =>
    runState([failed(1), attemptState(2, { outcome: "blocked", ...over })], {
      finished: { status: "blocked", reasons: ["blocked because"], headCommit: null },
    });

  it("takes a run that only outside changes blocked (refs, packed-refs, the checkout) and names the command for it", () => {
    const s = blockedBy({
      tampered: [
        "refs/remotes/origin/main moved 1 → 2",
        ".git/packed-refs changed",
        "main checkout: a.txt modified",
      ],
    });
    expect(reopenRefusal(s, accept)).toBeNull();
    expect(reopenRefusal(s, { ...accept, maxAttempts: 2 })).toBeNull();
    expect(reopenRefusal(s, { ...accept, maxAttempts: 1 })?.message).toMatch(/fewer than the 2 attempt\(s\)/);
    expect(acceptOutsideCommand(s)).toBe("omk run resume run-fixture --accept-outside-changes");
    // Without the flag, the refusal of a blocked run points at it.
    expect(reopenRefusal(s, budget(5))?.hint).toContain(
      "omk run resume run-fixture --accept-outside-changes",
    );
  });

  it("refuses anything else that blocked, and changes that make git run programs or hide files", () => {
    const cases: [RunState, RegExp][] = [
      [
        blockedBy({
          tampered: ["main checkout: a.txt modified"],
          findings: [{ path: "k", line: 1, rule: "github-token" }],
        }),
        /not by changes outside its worktree alone/,
      ],
      [
        blockedBy({
          tampered: ["refs/heads/main moved 1 → 2"],
          violations: [{ path: ".omk/gates.toml", reason: "protected" }],
        }),
        /not by changes outside its worktree alone/,
      ],
      [blockedBy({ tampered: [] }), /not by changes outside its worktree alone/],
      [
        blockedBy({ tampered: ["refs/heads/main moved 1 → 2", "hook post-checkout added"] }),
        /makes git run programs or hide files \(hook post-checkout added\)/,
      ],
      [blockedBy({ tampered: [".git/config changed"] }), /makes git run programs/],
      [blockedBy({ tampered: ["info/exclude changed"] }), /makes git run programs/],
      [finished("not_ready", 1), /is not_ready, not blocked/],
      [finished("ready", 1), /is ready, not blocked/],
      [runState([failed(1)]), /has not finished/],
    ];
    for (const [s, message] of cases) {
      const err = reopenRefusal(s, accept);
      expect(err?.message, String(message)).toMatch(message);
      expect(err?.code).toBe("USAGE");
      expect(acceptOutsideCommand(s)).toBeNull();
    }
  });

  it("refuses a goal task's run, which worked in the goal's lane, whatever it asks, and names no command for it", () => {
    const lane = { worktree: "/work/repo/.omk/worktrees/goal-fixture-lane-0" };
    const notReady = finished("not_ready", 1, lane);
    const outside = runState(
      [attemptState(1, { outcome: "blocked", tampered: ["main checkout: a.txt modified"] })],
      {
        finished: { status: "blocked", reasons: ["blocked because"], headCommit: null },
        ...lane,
      },
    );
    for (const [s, req] of [
      [notReady, budget(3)],
      [outside, { maxAttempts: null, agent: null, acceptOutside: true }],
    ] as const) {
      expect(reopenRefusal(s, req)?.message).toMatch(/was a task of a goal: its lane .*lane-0 is the goal's/);
    }
    expect(moreAttemptsCommand(notReady)).toBeNull();
    expect(acceptOutsideCommand(outside)).toBeNull();
  });
});
