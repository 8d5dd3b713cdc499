import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OMK_BIN } from "../helpers/cli.js";
import { NODE } from "../helpers/gates.js";
import { answerProject, FAKE_KIMI, type Project } from "../helpers/project.js";

// Shell quoting for the `script` utility's command line (test code only; omk itself never uses a shell).
const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

describe("omk run: agent preflight and terminal behaviour", () => {
  let h: Project;
  beforeEach(async () => {
    h = await answerProject({ "answer.txt": "0\n" });
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it("a missing agent binary fails before any run, worktree or state exists, with a hint", async () => {
    const r = await h.omk(["run", "--agent", "kimi", "--json", "do it"], { env: { PATH: "/usr/bin:/bin" } });
    expect(r.code).toBe(1);
    expect(r.json<{ error: { code: string; hint: string } }>().error.code).toBe("AGENT_NOT_FOUND");
    expect(r.stderr).toMatch(/hint: install the Kimi CLI/);
    expect(existsSync(join(h.sb.dir, "state", "omk"))).toBe(false);
    expect(existsSync(join(h.repo.root, ".omk", "worktrees"))).toBe(false);
    const exec = await h.omk(["run", "--agent", "exec", "--agent-bin", join(h.sb.dir, "nope.sh"), "do it"]);
    expect(exec.code).toBe(1);
    expect(exec.stderr).toContain("AGENT_NOT_FOUND");
  });

  it.skipIf(!existsSync("/usr/bin/script"))("on a terminal the run shows a live status line", () => {
    const agent = h.writerAgent("agent", { "answer.txt": "42\n" });
    const argv = [NODE, OMK_BIN, "run", "--agent", "exec", "--agent-bin", agent, "answer the question"];
    const env = { ...process.env, ...h.sb.env, NO_COLOR: "1", TERM: "xterm" };
    // `script` gives omk a pseudo-terminal, as an interactive shell would.
    const r = spawnSync("script", ["-q", "-e", "-c", argv.map(q).join(" "), "/dev/null"], {
      cwd: h.repo.root,
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/\r\u001b\[2K⏳ .*attempt 1\/3/);
    expect(r.stdout).toContain(": ready");
  });

  it.skipIf(!existsSync("/usr/bin/script"))(
    "--execution ask on a terminal: the person's answer decides each write",
    () => {
      const scenario = join(h.sb.dir, "scenario.json");
      writeFileSync(
        scenario,
        JSON.stringify({ turns: [{ steps: [{ write: { path: "answer.txt", content: "42\n" } }] }] }),
      );
      const argv = [
        NODE,
        OMK_BIN,
        "run",
        "--agent",
        "kimi",
        "--agent-bin",
        FAKE_KIMI,
        "--execution",
        "ask",
        "--max-attempts",
        "1",
        "answer",
      ];
      const env = {
        ...process.env,
        ...h.sb.env,
        NO_COLOR: "1",
        TERM: "xterm",
        OMK_FAKE_KIMI_SCENARIO: scenario,
      };
      const run = (answer: string) =>
        spawnSync("script", ["-q", "-e", "-c", argv.map(q).join(" "), "/dev/null"], {
          cwd: h.repo.root,
          env,
          input: answer,
          encoding: "utf8",
          timeout: 60_000,
        });
      const yes = run("y\n");
      expect(yes.stdout).toMatch(/agent wants to .*answer\.txt/);
      expect(yes.stdout).toMatch(/approved WriteFile: approved by the user/);
      expect(yes.status, yes.stdout).toBe(0);
      const no = run("n\n");
      expect(no.stdout).toMatch(/rejected WriteFile: rejected by the user/);
      expect(no.status).toBe(1);
    },
  );
});
