import { access, chmod, readFile, realpath, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createExecAdapter } from "../../../src/agents/exec/adapter.js";
import type { AgentSession } from "../../../src/agents/types.js";
import { OmkError } from "../../../src/core/errors.js";
import { baseEnv, recorder, type TempDir, tempDir } from "./fake-kimi-helpers.js";

// argv: <report.json> <exit code | "hang">. Reports what it was given, prints two lines, then exits.
const AGENT = `#!/usr/bin/env node
import { writeFileSync } from "node:fs";
const [report, mode] = process.argv.slice(2);
let stdin = "";
process.stdin.on("data", (d) => { stdin += d; });
process.stdin.on("end", () => {
  const e = process.env;
  writeFileSync(report, JSON.stringify({ stdin, cwd: process.cwd(), task: e.OMK_TASK, attempt: e.OMK_ATTEMPT,
    feedback: e.OMK_FEEDBACK_FILE ?? null, secret: e.FOO_SECRET ?? null }));
  console.log("working on it");
  console.log("token ghp_abcdefghijklmnopqrstuvwxyz0123456789");
  if (mode === "hang") { console.log("hanging"); setInterval(() => {}, 1000); return; }
  console.error("stderr says why");
  process.exit(Number(mode));
});
`;

/**
 * The agent writes its report before it hangs. Its stdout lines are no signal here: proc's stream
 * redactor holds back the tail of the output until it can rule out a secret, so the last line before
 * a hang is not delivered live.
 */
async function waitForFile(file: string): Promise<void> {
  for (;;) {
    try {
      await access(file);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe("exec adapter", () => {
  let tmp: TempDir;
  let bin: string;
  let report: string;
  let session: AgentSession | undefined;

  beforeEach(async () => {
    tmp = await tempDir();
    bin = join(tmp.dir, "agent.mjs");
    report = join(tmp.dir, "report.json");
    await writeFile(bin, AGENT);
    await chmod(bin, 0o755);
  });
  afterEach(async () => {
    await session?.close();
    session = undefined;
    await tmp.cleanup();
  });

  async function start(mode: string, extra: Record<string, string> = {}, task?: string) {
    const rec = recorder({
      worktree: tmp.dir,
      parentEnv: baseEnv(extra),
      agentBin: bin,
      agentArgs: [report, mode],
      task,
    });
    session = await createExecAdapter().start(rec.ctx);
    return { rec, session };
  }

  it("delivers the task on stdin and in OMK_TASK, the attempt, and the feedback file on retries", async () => {
    const { rec, session } = await start("0", { FOO_SECRET: "hunter2-canary" }, "fix the bug");
    const first = await session.prompt("fix the bug", 1);
    expect(first).toMatchObject({ status: "finished", exitCode: 0, steps: null });
    const r1 = JSON.parse(await readFile(report, "utf8"));
    expect(r1).toEqual({
      stdin: "fix the bug",
      cwd: await realpath(tmp.dir),
      task: "fix the bug",
      attempt: "1",
      feedback: null,
      secret: null,
    });

    // A retry's prompt is the task followed by the feedback: stdin gets it all, OMK_TASK the task alone.
    const feedback = join(tmp.dir, "feedback-2.md");
    const retry = "fix the bug\n\n---\n\nAttempt 1 of 3 did not pass the project's gates.";
    const second = await session.prompt(retry, 2, feedback);
    expect(second.status).toBe("finished");
    const r2 = JSON.parse(await readFile(report, "utf8"));
    expect(r2).toMatchObject({ stdin: retry, task: "fix the bug", attempt: "2", feedback });

    const texts = rec.events.filter((e) => e.type === "text").map((e) => (e as { text: string }).text);
    expect(texts).toContain("working on it");
    expect(texts.join("\n")).not.toContain("ghp_abcdefghijklmnopqrstuvwxyz0123456789");
  });

  it("puts the prompt in OMK_TASK when it was not told the task, and no task over 64 KiB in the environment", async () => {
    const { session } = await start("0");
    await session.prompt("only the prompt", 1);
    expect(JSON.parse(await readFile(report, "utf8"))).toMatchObject({ task: "only the prompt" });
    await session.close();

    const long = "t".repeat(64 * 1024 + 1);
    const again = await start("0", {}, long);
    await again.session.prompt(`${long}\n\n---\n\nfeedback`, 2, join(tmp.dir, "feedback-2.md"));
    const r = JSON.parse(await readFile(report, "utf8"));
    expect(r.task).toBeUndefined();
    expect(r.stdin).toBe(`${long}\n\n---\n\nfeedback`);
  });

  it("fails with the exit code and the stderr tail in the detail", async () => {
    const { session } = await start("3");
    const result = await session.prompt("task", 1);
    expect(result.status).toBe("failed");
    expect(result.exitCode).toBe(3);
    expect(result.detail).toMatch(/exited with code 3/);
    expect(result.detail).toMatch(/stderr says why/);
  });

  it("interrupt() cancels a running command", async () => {
    const { session } = await start("hang");
    const turn = session.prompt("task", 1);
    await waitForFile(report);
    await session.interrupt();
    const result = await turn;
    expect(result.status).toBe("cancelled");
  });

  it("an aborted signal cancels the turn", async () => {
    const controller = new AbortController();
    const rec = recorder({
      worktree: tmp.dir,
      parentEnv: baseEnv(),
      agentBin: bin,
      agentArgs: [report, "hang"],
      signal: controller.signal,
    });
    session = await createExecAdapter().start(rec.ctx);
    const turn = session.prompt("task", 1);
    await waitForFile(report);
    controller.abort();
    expect((await turn).status).toBe("cancelled");
  });

  it("needs --agent-bin, and an executable one", async () => {
    const adapter = createExecAdapter();
    const noBin = recorder({ worktree: tmp.dir, parentEnv: baseEnv() });
    await expect(adapter.start(noBin.ctx)).rejects.toMatchObject({ code: "USAGE" });
    const missing = recorder({ worktree: tmp.dir, parentEnv: baseEnv(), agentBin: join(tmp.dir, "nope") });
    const error = await adapter.start(missing.ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OmkError);
    expect((error as OmkError).code).toBe("AGENT_NOT_FOUND");

    const health = await adapter.detect({ cwd: process.cwd(), parentEnv: baseEnv(), agentBin: bin });
    expect(health.installed).toEqual({ value: true, how: `found ${bin}` });
    expect((await adapter.detect({ cwd: process.cwd(), parentEnv: baseEnv() })).installed.value).toBe(false);
  });
});
