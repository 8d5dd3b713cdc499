import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { omk, sandbox } from "../helpers/cli.js";
import { gatesToml } from "../helpers/gates.js";
import { makeRepo, type TestRepo } from "../helpers/git-repo.js";
import { allFiles } from "../helpers/project.js";

describe("omk verify", () => {
  let repo: TestRepo;
  let sb: ReturnType<typeof sandbox>;
  beforeEach(async () => {
    sb = sandbox();
    repo = await makeRepo({
      "ok.mjs": "process.exit(0)\n",
      "fail.mjs": "console.error('boom: assertion failed'); process.exit(3)\n",
    });
  });
  afterEach(async () => {
    sb.cleanup();
    await repo.cleanup();
  });

  it("exit 0 and ok=true when every required gate passes", async () => {
    repo.write({
      ".omk/gates.toml": gatesToml([
        { name: "a", args: ["ok.mjs"] },
        { name: "b", args: ["ok.mjs"] },
      ]),
    });
    const r = await omk(["verify", "--json"], { cwd: repo.root, env: sb.env });
    expect(r.code).toBe(0);
    const doc = r.json<{
      ok: boolean;
      gates: { name: string; status: string; exitCode: number; durationMs: number; required: boolean }[];
    }>();
    expect(doc.ok).toBe(true);
    expect(doc.gates.map((g) => [g.name, g.status, g.exitCode, g.required])).toEqual([
      ["a", "pass", 0, true],
      ["b", "pass", 0, true],
    ]);
    expect(typeof doc.gates[0]?.durationMs).toBe("number");
  });

  it("exit 1 when a required gate fails; allow_fail and skip do not fail the verdict", async () => {
    repo.write({
      ".omk/gates.toml": gatesToml([
        { name: "soft", args: ["fail.mjs"], extra: "allow_fail = true\n" },
        { name: "skipped", args: ["fail.mjs"], extra: "skip = true\n" },
        { name: "hard", args: ["fail.mjs"] },
      ]),
    });
    const r = await omk(["verify", "--json"], { cwd: repo.root, env: sb.env });
    expect(r.code).toBe(1);
    const doc = r.json<{ ok: boolean; gates: { name: string; status: string; exitCode: number | null }[] }>();
    expect(doc.ok).toBe(false);
    expect(doc.gates.map((g) => [g.name, g.status])).toEqual([
      ["soft", "fail"],
      ["skipped", "skip"],
      ["hard", "fail"],
    ]);
    expect(r.stderr).toContain("boom: assertion failed");
    const only = await omk(["verify", "--gate", "soft", "--json"], { cwd: repo.root, env: sb.env });
    expect(only.code).toBe(0);
  });

  it("--gate with an unknown name is a usage error listing the known gates", async () => {
    repo.write({ ".omk/gates.toml": gatesToml([{ name: "a", args: ["ok.mjs"] }]) });
    const r = await omk(["verify", "--gate", "nope"], { cwd: repo.root, env: sb.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("UNKNOWN_GATE");
    expect(r.stderr).toMatch(/\ba\b/);
  });

  it("a broken gates.toml is exit 2 naming the file, the line and the fix", async () => {
    repo.write({
      ".omk/gates.toml": `[[gates]]\nname = "a"\ncommand = "node"\n\n[[gates]]\nname = "b"\ncommand = "node"\ntimeout_secs = 0\n`,
    });
    const r = await omk(["verify"], { cwd: repo.root, env: sb.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("gates.toml");
    expect(r.stderr).toMatch(/:8\b/);
    expect(r.stderr).toContain("CONFIG_INVALID");
    expect(r.stderr).toMatch(/timeout_secs/);

    repo.write({ ".omk/gates.toml": `[[gates]\nname = "a"\n` });
    const syntax = await omk(["verify"], { cwd: repo.root, env: sb.env });
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(/gates\.toml:1/);
  });

  it("a gate whose grandchild hangs is killed as a group on timeout", async () => {
    repo.write({
      "hang.mjs": `import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
const c = spawn("sleep", ["1000"], { stdio: "ignore" });
writeFileSync("grandchild.pid", String(c.pid));
setInterval(() => {}, 1000);
`,
      ".omk/gates.toml": gatesToml([{ name: "hang", args: ["hang.mjs"], extra: "timeout_secs = 1\n" }]),
    });
    const r = await omk(["verify", "--json"], {
      cwd: repo.root,
      env: { ...sb.env, OMK_KILL_GRACE_MS: "500" },
    });
    expect(r.code).toBe(1);
    const doc = r.json<{ gates: { status: string; durationMs: number }[] }>();
    expect(doc.gates[0]?.status).toBe("timeout");
    expect(doc.gates[0]?.durationMs).toBeLessThan(10_000);
    const pid = Number(readFileSync(join(repo.root, "grandchild.pid"), "utf8"));
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((res) => setTimeout(res, 100));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  });

  it("50 planted secret env vars never reach a gate, the output, or any file omk wrote", async () => {
    const secrets: Record<string, string> = {};
    const names = [
      "FOO_API_KEY",
      "DB_PASSWORD",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_ACCESS_KEY_ID",
      "GITHUB_TOKEN",
      "GH_TOKEN",
      "NPM_TOKEN",
      "NODE_AUTH_TOKEN",
      "OPENAI_API_KEY",
      "ANTHROPIC_API_KEY",
      "STRIPE_SECRET",
      "SLACK_BOT_TOKEN",
      "DATABASE_URL",
      "SENTRY_DSN",
      "MY_PRIVATE_KEY",
      "SESSION_COOKIE",
      "APP_AUTH",
      "BEARER_VALUE",
      "X_CREDENTIAL",
      "SMTP_PASS",
    ];
    for (let i = 0; names.length < 50; i++)
      names.push(`SERVICE${i}_${["TOKEN", "SECRET", "API_KEY", "PASSWORD", "AUTH"][i % 5]}`);
    names.forEach((n, i) => {
      const shapes = [
        `ghp_${"a1B2".repeat(9)}`,
        `AKIA${"ABCDEFGH23456789"}`,
        `sk_live_${"x9".repeat(12)}`,
        `sk-proj-${"Zq8".repeat(16)}`,
        `xoxb-1234-5678-${"abc".repeat(8)}`,
      ];
      secrets[n] = `${shapes[i % shapes.length]}${i}canary`;
    });
    repo.write({
      "env.mjs": `import { writeFileSync } from "node:fs";\nwriteFileSync("gate-env.json", JSON.stringify(process.env));\nconsole.log(JSON.stringify(process.env));\n`,
      ".omk/gates.toml": gatesToml([{ name: "env", args: ["env.mjs"] }]),
    });
    const r = await omk(["verify", "--json", "--verbose"], {
      cwd: repo.root,
      env: { ...sb.env, ...secrets, LANG: "C.UTF-8" },
    });
    expect(r.code).toBe(0);
    const gateEnv = JSON.parse(readFileSync(join(repo.root, "gate-env.json"), "utf8")) as Record<
      string,
      string
    >;
    expect(gateEnv["PATH"]).toBeTruthy();
    expect(gateEnv["HOME"]).toBeTruthy();
    expect(gateEnv["LANG"]).toBe("C.UTF-8");
    const haystacks = [JSON.stringify(gateEnv), r.stdout, r.stderr];
    try {
      for (const f of allFiles(join(sb.dir, "state"))) haystacks.push(readFileSync(f, "utf8"));
    } catch {
      // verify writes no state; nothing to check there
    }
    for (const f of allFiles(join(repo.root, ".omk"))) haystacks.push(readFileSync(f, "utf8"));
    for (const [name, value] of Object.entries(secrets)) {
      for (const h of haystacks) {
        expect(h.includes(value), `${name}'s value leaked`).toBe(false);
      }
      expect(name in gateEnv, `${name} reached the gate`).toBe(false);
    }
  });
});
