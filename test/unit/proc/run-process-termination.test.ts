import { describe, expect, it } from "vitest";
import { registeredGroups } from "../../../src/proc/process-group.js";
import { runProcess } from "../../../src/proc/run-process.js";
import { fixture, grandchildPid, killQuietly, parentEnv, waitUntilDead, withTempDir } from "./support.js";

const cwd = process.cwd();

describe("runProcess: termination", () => {
  it("ACCEPTANCE: a timeout kills the whole group, grandchild included", async () => {
    let pid: number | undefined;
    try {
      const started = Date.now();
      const r = await runProcess(fixture("spawn-grandchild.mjs", "wait"), {
        cwd,
        parentEnv: parentEnv(),
        timeoutMs: 500,
        graceMs: 1_000,
      });
      pid = grandchildPid(r.stdout);
      expect(r.timedOut).toBe(true);
      expect(r.isCanceled).toBe(false);
      expect(r.signal).toBe("SIGTERM");
      expect(r.exitCode).toBeNull();
      // Generous bound: the behaviour under test is that a timeout ends the run at all.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await waitUntilDead(pid)).toBe(true);
      expect(registeredGroups()).not.toContain(r.pid);
    } finally {
      killQuietly(pid);
    }
  });

  it("escalates to SIGKILL when the child ignores SIGTERM", async () => {
    // The timeout leaves a slow start (a loaded CI machine, a newer node) time to print "ready" and
    // install its SIGTERM handler first; only then does ignoring SIGTERM mean anything.
    const r = await runProcess(fixture("forever.mjs", "--ignore-term"), {
      cwd,
      parentEnv: parentEnv(),
      timeoutMs: 3_000,
      graceMs: 300,
    });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe("SIGKILL");
    expect(r.stdout).toMatch(/^ready \d+\n$/);
  });

  it("an abort signal cancels and kills the group", async () => {
    let pid: number | undefined;
    try {
      const controller = new AbortController();
      const r = await runProcess(fixture("spawn-grandchild.mjs", "wait"), {
        cwd,
        parentEnv: parentEnv(),
        signal: controller.signal,
        graceMs: 1_000,
        onStdoutLine: (line) => {
          if (line.startsWith("GRANDCHILD")) controller.abort();
        },
      });
      pid = grandchildPid(r.stdout);
      expect(r.isCanceled).toBe(true);
      expect(r.timedOut).toBe(false);
      expect(r.exitCode).toBeNull();
      expect(await waitUntilDead(pid)).toBe(true);
    } finally {
      killQuietly(pid);
    }
  });

  it("an already aborted signal still yields a cancelled result", async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await runProcess(fixture("forever.mjs"), {
      cwd,
      parentEnv: parentEnv(),
      signal: controller.signal,
    });
    expect(r.isCanceled).toBe(true);
    expect(r.exitCode).toBeNull();
  });

  it("sweeps what the leader left running in its group instead of hanging on it", async () => {
    let pid: number | undefined;
    try {
      const r = await runProcess(fixture("spawn-grandchild.mjs", "exit"), {
        cwd,
        parentEnv: parentEnv(),
        graceMs: 1_000,
        timeoutMs: 30_000,
      });
      pid = grandchildPid(r.stdout);
      expect(r.exitCode).toBe(0);
      expect(r.timedOut).toBe(false);
      expect(await waitUntilDead(pid)).toBe(true);
    } finally {
      killQuietly(pid);
    }
  });

  it("runs in the given cwd", async () => {
    await withTempDir("proc-cwd", async (dir) => {
      const r = await runProcess([process.execPath, "-e", "process.stdout.write(process.cwd())"], {
        cwd: dir,
        parentEnv: parentEnv(),
      });
      expect(r.stdout).toContain(dir.split("/").pop());
      expect(r.cwd).toBe(dir);
    });
  });
});
