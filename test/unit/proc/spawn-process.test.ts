import { describe, expect, it } from "vitest";
import { registeredGroups } from "../../../src/proc/process-group.js";
import { spawnProcess } from "../../../src/proc/spawn-process.js";
import type { ProcessHandle } from "../../../src/proc/types.js";
import { fixture, grandchildPid, killQuietly, parentEnv, waitUntilDead } from "./support.js";

const cwd = process.cwd();

/** Reads lines until `count` arrived (or the stream ended). */
async function take(iterator: AsyncIterator<string>, count: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < count) {
    const next = await iterator.next();
    if (next.done === true) break;
    out.push(next.value);
  }
  return out;
}

async function withHandle(handle: ProcessHandle, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } finally {
    await handle.kill("test cleanup");
  }
}

describe("spawnProcess", () => {
  it("round-trips lines through write() and lines()", async () => {
    const handle = spawnProcess(fixture("echo.mjs"), { cwd, parentEnv: parentEnv() });
    await withHandle(handle, async () => {
      const lines = handle.lines()[Symbol.asyncIterator]();
      await handle.write('{"jsonrpc":"2.0","id":1}');
      expect(await take(lines, 1)).toEqual(['echo: {"jsonrpc":"2.0","id":1}']);
      await handle.write("second");
      await handle.write("third");
      expect(await take(lines, 2)).toEqual(["echo: second", "echo: third"]);
      handle.endInput();
      expect(await take(lines, 1)).toEqual([]);
      const exit = await handle.exited;
      expect(exit).toMatchObject({
        exitCode: 0,
        signal: null,
        timedOut: false,
        isCanceled: false,
        failedToStart: null,
      });
    });
  });

  it("frames CRLF replies and replies split across chunks", async () => {
    const handle = spawnProcess(fixture("echo.mjs", "--crlf", "--split"), { cwd, parentEnv: parentEnv() });
    await withHandle(handle, async () => {
      const lines = handle.lines()[Symbol.asyncIterator]();
      await handle.write("alpha");
      await handle.write("beta gamma");
      expect(await take(lines, 2)).toEqual(["echo: alpha", "echo: beta gamma"]);
    });
  });

  it("hands stdout over raw (protocol frames must parse) but redacts stderr", async () => {
    const handle = spawnProcess(fixture("noisy.mjs", "secret"), { cwd, parentEnv: parentEnv() });
    const lines: string[] = [];
    for await (const line of handle.lines()) lines.push(line);
    await handle.exited;
    const token = `ghp_${"aB3x".repeat(9)}`;
    expect(lines).toEqual([`before ${token} after`]);
    expect(handle.stderrTail()).toContain("before ");
    expect(handle.stderrTail()).not.toContain(token);
  });

  it("kill() ends the whole group, grandchildren included", async () => {
    const handle = spawnProcess(fixture("spawn-grandchild.mjs", "wait"), {
      cwd,
      parentEnv: parentEnv(),
      graceMs: 1_000,
    });
    let pid: number | undefined;
    try {
      const [first] = await take(handle.lines()[Symbol.asyncIterator](), 1);
      pid = grandchildPid(first ?? "");
      expect(registeredGroups()).toContain(handle.pid);
      await handle.kill("test");
      await handle.kill("again: idempotent");
      const exit = await handle.exited;
      expect(exit.signal).toBe("SIGTERM");
      expect(await waitUntilDead(pid)).toBe(true);
      expect(registeredGroups()).not.toContain(handle.pid);
    } finally {
      killQuietly(pid);
    }
  });

  it("times out like runProcess", async () => {
    const handle = spawnProcess(fixture("forever.mjs"), {
      cwd,
      parentEnv: parentEnv(),
      timeoutMs: 300,
      graceMs: 500,
    });
    const exit = await handle.exited;
    expect(exit.timedOut).toBe(true);
    expect(exit.signal).toBe("SIGTERM");
  });

  it("an abort signal ends it like kill()", async () => {
    const controller = new AbortController();
    const handle = spawnProcess(fixture("forever.mjs"), {
      cwd,
      parentEnv: parentEnv(),
      signal: controller.signal,
    });
    const [ready] = await take(handle.lines()[Symbol.asyncIterator](), 1);
    expect(ready).toMatch(/^ready \d+$/);
    controller.abort();
    expect(await handle.exited).toMatchObject({ isCanceled: true, timedOut: false, signal: "SIGTERM" });
  });

  it("takes the whole of stdin up front with input: longer than any argument, newlines kept, then closed", async () => {
    const input = `first line\n${"x".repeat(300 * 1024)}\nlast line`;
    const handle = spawnProcess(fixture("echo.mjs"), { cwd, parentEnv: parentEnv(), input });
    await withHandle(handle, async () => {
      const lines: string[] = [];
      for await (const line of handle.lines()) lines.push(line);
      expect(lines).toEqual(["echo: first line", `echo: ${"x".repeat(300 * 1024)}`, "echo: last line"]);
      expect((await handle.exited).exitCode).toBe(0);
      await expect(handle.write("more")).rejects.toMatchObject({ code: "IO_FAILED" });
    });
  });

  it("rejects writes once stdin is closed", async () => {
    const handle = spawnProcess(fixture("echo.mjs"), { cwd, parentEnv: parentEnv() });
    handle.endInput();
    await handle.exited;
    await expect(handle.write("late")).rejects.toMatchObject({ code: "IO_FAILED" });
    await expect(handle.write("two\nlines")).rejects.toMatchObject({ code: "INTERNAL" });
  });

  it("reports a missing executable through exited, and lines() just ends", async () => {
    const handle = spawnProcess(["omk-definitely-not-installed-xyz"], { cwd, parentEnv: parentEnv() });
    const exit = await handle.exited;
    expect(exit.failedToStart).toMatch(/ENOENT/);
    expect(exit.exitCode).toBeNull();
    const lines: string[] = [];
    for await (const line of handle.lines()) lines.push(line);
    expect(lines).toEqual([]);
    await expect(handle.write("x")).rejects.toMatchObject({ code: "IO_FAILED" });
  });

  it("lines() has a single consumer", async () => {
    const handle = spawnProcess(fixture("echo.mjs"), { cwd, parentEnv: parentEnv() });
    await withHandle(handle, async () => {
      handle.lines()[Symbol.asyncIterator]();
      expect(() => handle.lines()[Symbol.asyncIterator]()).toThrow(/one consumer/);
    });
  });
});
