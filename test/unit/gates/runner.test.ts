import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EMPTY_SHA256 } from "../../../src/gates/evidence.js";
import { type GateEvidence, runGates } from "../../../src/gates/runner.js";
import type { GateSpec } from "../../../src/gates/schema.js";
import {
  FIXTURES_DIR,
  grandchildPid,
  killQuietly,
  parentEnv,
  waitUntilDead,
  withTempDir,
} from "../proc/support.js";

function gate(name: string, script: string, args: string[] = [], extra: Partial<GateSpec> = {}): GateSpec {
  return {
    name,
    command: process.execPath,
    args: [join(FIXTURES_DIR, script), ...args],
    cwd: ".",
    env: {},
    required: true,
    allowFail: false,
    skip: false,
    timeoutSecs: 60,
    ...extra,
  };
}

const root = process.cwd();
const base = { root, parentEnv: parentEnv(), graceMs: 1_000 };
const statuses = (gates: GateEvidence[]): Array<[string, string]> => gates.map((g) => [g.name, g.status]);

describe("runGates", () => {
  it("runs gates in order and records pass, fail and skip", async () => {
    const started: string[] = [];
    const results: string[] = [];
    const r = await runGates(
      [
        gate("ok", "exit-code.mjs", ["0", "all good\n"]),
        gate("broken", "exit-code.mjs", ["2", "", "assertion failed\n"]),
        gate("later", "exit-code.mjs", ["0"], { skip: true }),
      ],
      { ...base, onGateStart: (n) => started.push(n), onGateResult: (e) => results.push(e.name) },
    );
    expect(statuses(r.gates)).toEqual([
      ["ok", "pass"],
      ["broken", "fail"],
      ["later", "skip"],
    ]);
    expect(started).toEqual(["ok", "broken"]);
    expect(results).toEqual(["ok", "broken", "later"]);
    expect(r.ok).toBe(false);
    expect(r.cancelled).toBe(false);
    const [ok, broken, later] = r.gates as [GateEvidence, GateEvidence, GateEvidence];
    expect(ok).toMatchObject({ exitCode: 0, stdoutBytes: 9, tail: "all good\n", cwd: ".", required: true });
    expect(ok.argv).toEqual([process.execPath, join(FIXTURES_DIR, "exit-code.mjs"), "0", "all good\n"]);
    expect(broken).toMatchObject({ exitCode: 2, stderrBytes: 17, tail: "assertion failed\n" });
    expect(later).toMatchObject({ exitCode: null, durationMs: 0, stdoutSha256: EMPTY_SHA256, tail: "" });
  });

  it("is ok when every required, non-allow_fail gate passes; skipped gates do not count", async () => {
    const r = await runGates(
      [
        gate("ok", "exit-code.mjs", ["0"]),
        gate("flaky", "exit-code.mjs", ["1"], { allowFail: true }),
        gate("advisory", "exit-code.mjs", ["1"], { required: false }),
        gate("off", "exit-code.mjs", ["1"], { skip: true }),
      ],
      base,
    );
    expect(statuses(r.gates)).toEqual([
      ["ok", "pass"],
      ["flaky", "fail"],
      ["advisory", "fail"],
      ["off", "skip"],
    ]);
    expect(r.ok).toBe(true);
  });

  it("a missing executable is an error, not a failure of omk", async () => {
    const r = await runGates(
      [{ ...gate("ghost", "exit-code.mjs"), command: "omk-no-such-tool-xyz", args: ["test"] }],
      base,
    );
    expect(r.gates[0]).toMatchObject({
      status: "error",
      exitCode: null,
      error: expect.stringMatching(/ENOENT/),
    });
    expect(r.ok).toBe(false);
  });

  it("ACCEPTANCE: a gate over timeout_secs ends as timeout and its whole group dies", async () => {
    let pid: number | undefined;
    try {
      const started = Date.now();
      const r = await runGates([gate("hang", "spawn-grandchild.mjs", ["wait"], { timeoutSecs: 1 })], base);
      const elapsed = Date.now() - started;
      const e = r.gates[0] as GateEvidence;
      pid = grandchildPid(e.tail);
      expect(e.status).toBe("timeout");
      expect(e.signal).toBe("SIGTERM");
      expect(e.error).toMatch(/timed out after 1s/);
      expect(r.ok).toBe(false);
      // ~1 s timeout plus 1 s grace; the bound is generous because only "it ends" is the feature.
      expect(elapsed).toBeLessThan(2_000 + 1_000 + 5_000);
      expect(await waitUntilDead(pid)).toBe(true);
    } finally {
      killQuietly(pid);
    }
  });

  it("keeps a redacted tail of interleaved stdout and stderr", async () => {
    const token = `ghp_${"aB3x".repeat(9)}`;
    const r = await runGates(
      [gate("both", "noisy.mjs", ["both", "4"]), gate("leak", "noisy.mjs", ["secret"])],
      base,
    );
    const [both, leak] = r.gates as [GateEvidence, GateEvidence];
    expect(both.tail).toBe("out 0\nerr 1\nout 2\nerr 3\n");
    expect(leak.tail).toContain("before ");
    expect(leak.tail).not.toContain(token);
  });

  it("caps the tail but counts every byte", async () => {
    const r = await runGates([gate("chatty", "noisy.mjs", ["lines", "5000"])], base);
    const e = r.gates[0] as GateEvidence;
    expect(e.stdoutBytes).toBeGreaterThan(30_000);
    expect(Buffer.byteLength(e.tail)).toBeLessThan(4_096 + 100);
    expect(e.tail.endsWith("line 4999\n")).toBe(true);
  });

  it("names failing tests from far more output than the tail keeps", async () => {
    await withTempDir("gates-failures", async (dir) => {
      // 12 failing node:test tests whose stack traces fill far more than the 4 KiB tail.
      const body = Array.from(
        { length: 12 },
        (_, i) =>
          `test("case ${i}", () => { assert.equal(${i}, ${i + 1}, "case ${i} broke: ${"x".repeat(400)}"); });`,
      ).join("\n");
      await writeFile(
        join(dir, "t.test.mjs"),
        `import { test } from "node:test";\nimport assert from "node:assert/strict";\n${body}\n`,
      );
      const spec: GateSpec = { ...gate("test", "unused.mjs"), args: ["--test", "t.test.mjs"] };
      const r = await runGates([spec], { ...base, root: dir });
      const e = r.gates[0] as GateEvidence;
      expect(e.status).toBe("fail");
      expect(e.tail).toMatch(/^\[omk: \d+ earlier bytes not kept\]\n/);
      expect(Buffer.byteLength(e.tail)).toBeLessThan(4_096 + 100);
      expect(e.tail).not.toContain("case 0 broke");
      expect(e.failures?.total).toBe(12);
      expect(e.failures?.tests[0]?.name).toBe("case 0");
      expect(e.failures?.tests[0]?.message).toContain("case 0 broke");
    });
  });

  it("passes the gate's env and runs in its cwd", async () => {
    await withTempDir("gates-cwd", async (dir) => {
      await mkdir(join(dir, "pkg"));
      const r = await runGates(
        [
          {
            ...gate("where", "exit-code.mjs"),
            args: ["-e", "process.stdout.write(process.cwd() + ' ' + process.env.GATE_FLAVOUR)"],
            cwd: "pkg",
            env: { GATE_FLAVOUR: "mint" },
          },
        ],
        { ...base, root: dir },
      );
      const e = r.gates[0] as GateEvidence;
      expect(e.status).toBe("pass");
      expect(e.tail).toMatch(/\/pkg mint\n$/);
    });
  });

  it("refuses a cwd that is missing or leaves the root through a symlink", async () => {
    await withTempDir("gates-escape", async (dir) => {
      await withTempDir("gates-outside", async (outside) => {
        await symlink(outside, join(dir, "link"));
        const r = await runGates(
          [
            { ...gate("escape", "exit-code.mjs", ["0"]), cwd: "link" },
            { ...gate("missing", "exit-code.mjs", ["0"]), cwd: "nope" },
            { ...gate("dotdot", "exit-code.mjs", ["0"]), cwd: "../x" },
          ],
          { ...base, root: dir },
        );
        expect(r.gates.map((g) => [g.status, g.error])).toEqual([
          ["error", expect.stringMatching(/outside the worktree/)],
          ["error", expect.stringMatching(/does not exist/)],
          ["error", expect.stringMatching(/unsafe cwd/)],
        ]);
      });
    });
  });

  it("runs only the named gates, in file order", async () => {
    const gates = [
      gate("a", "exit-code.mjs", ["0"]),
      gate("b", "exit-code.mjs", ["1"]),
      gate("c", "exit-code.mjs", ["0"]),
    ];
    const r = await runGates(gates, { ...base, only: ["c", "a"] });
    expect(statuses(r.gates)).toEqual([
      ["a", "pass"],
      ["c", "pass"],
    ]);
    expect(r.ok).toBe(true);
    const all = await runGates(gates, { ...base, only: [] });
    expect(all.gates.map((g) => g.name)).toEqual(["a", "b", "c"]);
    expect(all.ok).toBe(false);
  });

  it("rejects an unknown gate name with UNKNOWN_GATE listing the known ones, before running anything", async () => {
    const started: string[] = [];
    const gates = [gate("lint", "exit-code.mjs", ["0"]), gate("test", "exit-code.mjs", ["0"])];
    await expect(
      runGates(gates, { ...base, only: ["test", "tset"], onGateStart: (n) => started.push(n) }),
    ).rejects.toMatchObject({
      code: "UNKNOWN_GATE",
      message: expect.stringContaining("tset"),
      hint: expect.stringContaining("lint, test"),
    });
    expect(started).toEqual([]);
  });

  it("stops at an abort: the running gate is cancelled, the rest are not run", async () => {
    const controller = new AbortController();
    const r = await runGates(
      [
        gate("first", "exit-code.mjs", ["0"]),
        gate("hang", "forever.mjs"),
        gate("after", "exit-code.mjs", ["0"]),
      ],
      {
        ...base,
        signal: controller.signal,
        onGateStart: (name) => {
          if (name === "hang") setTimeout(() => controller.abort(), 200);
        },
      },
    );
    expect(r.cancelled).toBe(true);
    expect(r.ok).toBe(false);
    expect(r.gates.map((g) => [g.name, g.status, g.error])).toEqual([
      ["first", "pass", undefined],
      ["hang", "error", "cancelled"],
      ["after", "skip", "not run: cancelled"],
    ]);
  });
});
