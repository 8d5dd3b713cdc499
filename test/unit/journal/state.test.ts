import { describe, expect, it } from "vitest";
import { applyRunEvent, projectRun } from "../../../src/journal/state.js";
import {
  attemptEntries,
  changedFile,
  type Entry,
  ev,
  gateRecord,
  hex64,
  ledger,
  project,
  RUN_ID,
  T0,
  TASK,
  tsAt,
  WORKTREE,
} from "./fixture.js";

const CLEAN = {
  tree: null,
  setupFailed: null,
  agent: null,
  diff: null,
  violations: [],
  allowed: [],
  tampered: [],
  acceptedOutside: [],
  outsideWhileConfined: [],
  findings: [],
  gates: [],
  outcome: null,
  output: null,
};

describe("projectRun", () => {
  it("refuses a ledger that does not start with RunStarted", () => {
    expect(() => projectRun([])).toThrow(/does not start with RunStarted/);
    expect(() => project([ev.workspaceReady(), ev.started()])).toThrow(/RunStarted/);
  });

  it("starts from RunStarted", () => {
    const s = project([ev.started({ execution: "ask", maxAttempts: 5 })]);
    expect(s).toMatchObject({
      runId: RUN_ID,
      task: TASK,
      worktree: WORKTREE,
      agent: { name: "kimi", bin: null, args: [], model: "kimi-k2", version: null },
      execution: "ask",
      maxAttempts: 5,
      startedAt: T0,
      lastTs: T0,
      events: 1,
      workspaceReady: false,
      setupFailed: null,
      attempts: [],
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      approvals: { approved: 0, rejected: 0 },
      interrupted: false,
      resumes: 0,
      finished: null,
      proofWritten: false,
      landed: null,
    });
  });

  it.each([
    [true, "", null],
    [false, "npm ci exited 1", "npm ci exited 1"],
    [false, "", "workspace setup failed"],
  ])("WorkspaceReady setupOk=%s detail=%j → setupFailed %j", (ok, detail, setupFailed) => {
    const s = project([ev.started(), ev.workspaceReady(ok, detail)]);
    expect(s.workspaceReady).toBe(true);
    expect(s.setupFailed).toBe(setupFailed);
  });

  it("folds a whole attempt, and counts events and the last timestamp", () => {
    const events = ledger([
      ev.started(),
      ev.workspaceReady(),
      ...attemptEntries(1, { files: ["a.ts", "b.ts"], gates: [["test", "fail"]], outcome: "gates_failed" }),
      ev.violation(1, ".github/ci.yml"),
      ev.finding(1, "src/key.ts", 7, "aws-access-key"),
    ]);
    const s = projectRun(events);
    expect(s.events).toBe(events.length);
    expect(s.lastTs).toBe(tsAt(events.length));
    expect(s.attempts).toEqual([
      {
        n: 1,
        tree: null,
        setupFailed: null,
        agent: { status: "finished", detail: "done" },
        diff: {
          files: [changedFile("a.ts"), changedFile("b.ts")],
          added: 4,
          deleted: 2,
          patchSha256: null,
          patchFile: null,
          patchBytes: null,
        },
        violations: [{ path: ".github/ci.yml", reason: "outside the write set" }],
        allowed: [],
        tampered: [],
        acceptedOutside: [],
        outsideWhileConfined: [],
        findings: [{ path: "src/key.ts", line: 7, rule: "aws-access-key", preview: "AKIA****" }],
        gates: [gateRecord("test", "fail")],
        outcome: "gates_failed",
        output: null,
      },
    ]);
  });

  it("counts output batches, then takes the saved totals; a restarted attempt starts without output", () => {
    const batch = (lines: number, bytes: number) =>
      ["AgentOutput", { attempt: 1, lines, bytes, sample: "x" }] as const;
    const saved = [
      "AgentOutputSaved",
      {
        attempt: 1,
        file: "artifacts/output-1.log",
        sha256: "a".repeat(64),
        bytes: 90,
        seenBytes: 120,
        lines: 12,
        cutBytes: 30,
        batches: 2,
      },
    ] as const;
    const mid = project([
      ev.started(),
      ev.workspaceReady(),
      ev.attemptStarted(1),
      batch(3, 40),
      batch(5, 60),
    ]);
    expect(mid.attempts[0]?.output).toEqual({ lines: 8, bytes: 100, batches: 2, saved: null });
    const done = project([ev.started(), ev.workspaceReady(), ev.attemptStarted(1), batch(3, 40), saved]);
    expect(done.attempts[0]?.output).toEqual({
      lines: 12,
      bytes: 120,
      batches: 2,
      saved: { file: "artifacts/output-1.log", sha256: "a".repeat(64), bytes: 90, cutBytes: 30 },
    });
    const again = project([
      ev.started(),
      ev.workspaceReady(),
      ev.attemptStarted(1),
      saved,
      ev.attemptStarted(1),
    ]);
    expect(again.attempts[0]?.output).toBeNull();
  });

  it("workspace setup steps are progress, not a commit", () => {
    const s = project([
      ev.started(),
      [
        "WorkspaceSetup",
        { step: { kind: "setup", what: "npm ci", ok: true, detail: "" }, ok: true, detail: "" },
      ],
      ev.workspaceReady(),
      ...attemptEntries(1, { outcome: "blocked" }),
    ]);
    expect(s.committed).toBeNull();
  });

  it("starts a restarted attempt clean", () => {
    const s = project([
      ev.started(),
      ev.workspaceReady(),
      ...attemptEntries(1, { outcome: "gates_failed" }),
      ev.violation(1, ".git/config"),
      ev.finding(1, "a.env", 1, "generic"),
      ev.attemptStarted(1),
    ]);
    expect(s.attempts).toEqual([{ n: 1, ...CLEAN }]);
  });

  it("lets a re-run gate replace its earlier result, keeping the others in order", () => {
    const start = [ev.started(), ev.workspaceReady(), ev.attemptStarted(1)];
    const names = (entries: typeof start) =>
      project([...start, ...entries]).attempts[0]?.gates.map((g) => `${g.name}:${g.status}`);
    expect(names([ev.gate(1, "lint"), ev.gate(1, "test", "fail"), ev.gateStarted(1, "test")])).toEqual([
      "lint:pass",
    ]);
    expect(
      names([ev.gate(1, "lint"), ev.gate(1, "test", "fail"), ev.gateStarted(1, "test"), ev.gate(1, "test")]),
    ).toEqual(["lint:pass", "test:pass"]);
    expect(names([ev.gate(1, "test", "fail"), ev.gate(1, "lint"), ev.gate(1, "test", "timeout")])).toEqual([
      "lint:pass",
      "test:timeout",
    ]);
  });

  it("keeps attempts ordered by number whatever order their events come in", () => {
    const s = project([ev.started(), ev.diff(2, ["b.ts"]), ev.agentFinished(1), ev.attemptStarted(3)]);
    expect(s.attempts.map((a) => a.n)).toEqual([1, 2, 3]);
  });

  it("sums usage over every turn, counting missing numbers as zero and ignoring other agent events", () => {
    const s = project([
      ev.started(),
      ev.usage(1, 100, 20, 0.25),
      ev.agentText(1, "thinking"),
      ev.usage(1, null, 5, null),
      ev.attemptStarted(2, 1),
      ev.usage(2, 50, 10, 0.5),
    ]);
    expect(s.usage).toEqual({ inputTokens: 150, outputTokens: 35, costUsd: 0.75 });
  });

  it("counts approval decisions, not questions", () => {
    const s = project([
      ev.started(),
      ev.approvalAsked(1, "WriteFile"),
      ev.approval(1, "approve"),
      ev.approval(1, "approve"),
      ev.approvalAsked(1, "Shell"),
      ev.approval(1, "reject"),
    ]);
    expect(s.approvals).toEqual({ approved: 2, rejected: 1 });
  });

  it("records the agent version a turn reports; a later turn that reports none does not erase it", () => {
    const s = project([ev.started(), ev.agentStarted(1, "kimi 1.2.3"), ev.agentStarted(2, null)]);
    expect(s.agent.version).toBe("kimi 1.2.3");
    expect(project([ev.started(), ev.agentStarted(1, "1"), ev.agentStarted(2, "2")]).agent.version).toBe("2");
  });

  it("marks an interrupt and clears it on resume, counting resumes", () => {
    const entries = [ev.started(), ev.interrupted("agent", 1), ev.resumed(), ev.interrupted("gates", 1)];
    expect(project(entries)).toMatchObject({ interrupted: true, resumes: 1 });
    expect(project([...entries, ev.resumed()])).toMatchObject({ interrupted: false, resumes: 2 });
  });

  it("records the end of the run, its proof and its landing", () => {
    const s = project([
      ev.started(),
      ev.committed(),
      ev.runFinished("not_ready", ["nope"], null),
      ev.proofWritten(3),
      ev.landed(false),
    ]);
    expect(s.finished).toEqual({ status: "not_ready", reasons: ["nope"], headCommit: null });
    expect(s.proofWritten).toBe(true);
    expect(s.landed).toEqual({ commit: "d".repeat(40), fastForward: false });
  });

  it("a reopened run is unfinished again, with the new budget and agent, its proof superseded", () => {
    const ended = [
      ev.started(),
      ev.workspaceReady(),
      ...attemptEntries(1, { gates: [["test", "fail"]], outcome: "gates_failed" }),
      ev.committed(),
      ev.runFinished("not_ready", ["test failing"]),
      ev.proofWritten(10),
    ];
    const agent = { name: "exec", bin: "/bin/agent", args: ["-x"], model: null };
    const s = project([...ended, ev.reopened(5, { agent })]);
    expect(s).toMatchObject({
      finished: null,
      proofWritten: false,
      maxAttempts: 5,
      reopenedAfter: 1,
      workspaceReady: true,
      agent: { ...agent, version: null },
    });
    // Without an agent the run's own stays; a rebuilt worktree is set up again.
    const same = project([...ended, ev.reopened(4, { rebuildWorkspace: true })]);
    expect(same.agent.name).toBe("kimi");
    expect(same.workspaceReady).toBe(false);
    // The next ending is the run's ending.
    const again = project([...ended, ev.reopened(2), ...attemptEntries(2), ev.runFinished("ready", ["ok"])]);
    expect(again.finished?.status).toBe("ready");
    expect(again.attempts.map((a) => a.outcome)).toEqual(["gates_failed", "passed"]);
  });

  it("is the same folded all at once or one appended event at a time", () => {
    const events = ledger([
      ev.started(),
      ev.workspaceReady(),
      ...attemptEntries(1, { gates: [["test", "fail"]], outcome: "gates_failed" }),
      ev.interrupted("agent", 2),
      ev.resumed(),
      ...attemptEntries(2, { patch: { sha256: hex64(2), bytes: 10 } }),
    ]);
    const incremental = projectRun(events.slice(0, 1));
    for (const e of events.slice(1)) applyRunEvent(incremental, e);
    expect(incremental).toEqual(projectRun(events));
  });
});

describe("confinement", () => {
  it("is null before any turn, then the last Confinement event, exactly in its shape", () => {
    expect(project([ev.started()]).confinement).toBeNull();
    const s = project([
      ev.started(),
      ev.attemptStarted(1),
      ["Confinement", { attempt: 1, mode: "none", requested: "auto", network: "none", reason: "no bwrap" }],
      ev.attemptStarted(2, 1),
      ["Confinement", { attempt: 2, mode: "bwrap", requested: "required", network: "host", extra: 1 }],
    ]);
    expect(s.confinement).toStrictEqual({
      attempt: 2,
      mode: "bwrap",
      requested: "required",
      network: "host",
    });
  });

  it("refuses a Confinement payload outside its vocabulary", () => {
    expect(() =>
      project([
        ev.started(),
        // A hand-written ledger line, as a tampered or foreign ledger would hold it.
        [
          "Confinement",
          { attempt: 1, mode: "docker", requested: "auto", network: "none" },
        ] as unknown as Entry,
      ]),
    ).toThrow(/invalid Confinement payload: mode/);
  });
});
