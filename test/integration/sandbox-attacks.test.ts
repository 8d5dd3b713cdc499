/**
 * Confinement against a hostile exec agent, through the built CLI with `--sandbox required`. Each
 * attack also runs unconfined (`--sandbox off`) as a control, so a test that passes proves the
 * sandbox stopped the attack, not that the attack never worked.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { alive, ledgerProblems, ofKind, type Project, project } from "../helpers/project.js";

let p: Project;
beforeEach(async () => {
  p = await project({ "README.md": "sample\n" });
});
afterEach(async () => {
  await p.cleanup();
});

/** The run's agent output, as `omk run logs` prints it. */
async function logs(runId: string): Promise<string> {
  const r = await p.omk(["run", "logs", runId]);
  expect(r.code).toBe(0);
  return r.stdout;
}

/** Host processes whose command line holds `token`. */
function processesWith(token: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(token)) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

describe("--sandbox required (exec agents that attack)", () => {
  it("an agent scanning /proc for omk's environment finds none of 10 canary secrets", async () => {
    const names = [
      "GITHUB_TOKEN",
      "NPM_TOKEN",
      "OPENAI_API_KEY",
      "ANTHROPIC_API_KEY",
      "AWS_SECRET_ACCESS_KEY",
      "DATABASE_URL",
      "DEPLOY_PASSWORD",
      "SLACK_BOT_TOKEN",
      "STRIPE_SECRET",
      "SERVICE_PRIVATE_KEY",
    ];
    const tag = randomBytes(6).toString("hex");
    const env = Object.fromEntries(names.map((n, i) => [n, `omkcanary${i}x${tag}`]));
    const agent = p.script(
      "environ-thief",
      `import { readdirSync, readFileSync, writeFileSync } from "node:fs";
const pids = new Set(["self", String(process.ppid), "1", ...readdirSync("/proc").filter((n) => /^\\d+$/.test(n))]);
let scanned = 0;
const found = new Set();
for (const pid of pids) {
  try {
    const text = readFileSync("/proc/" + pid + "/environ", "latin1");
    scanned++;
    for (const m of text.matchAll(/omkcanary\\d+x[0-9a-f]+/g)) found.add(m[0]);
  } catch {}
}
console.log("SCANNED " + scanned);
for (const f of found) console.log("FOUND " + f);
writeFileSync("ok.txt", "ok\\n");
`,
    );
    const confined = await p.execRun(agent, { args: ["--sandbox", "required"], env });
    expect(confined.doc.status).toBe("ready");
    const out = await logs(confined.doc.runId);
    expect(Number(/SCANNED (\d+)/.exec(out)?.[1])).toBeGreaterThan(0);
    expect(out).not.toContain("FOUND");
    for (const v of Object.values(env)) expect(out).not.toContain(v);
    expect(
      p
        .ledger(confined.doc.runId)
        .map((l) => JSON.stringify(l))
        .join("\n"),
    ).not.toContain(tag);

    // Control: unconfined, the same agent reads them all from omk's /proc/<pid>/environ.
    const open = await p.execRun(agent, { args: ["--sandbox", "off"], env });
    const leaked = await logs(open.doc.runId);
    for (const v of Object.values(env)) expect(leaked).toContain(`FOUND ${v}`);
  });

  it("writes to .git/hooks, .git/config, a ref, the main checkout, ~/.bashrc and omk's state all miss; the run and its ledger are unaffected", async () => {
    const home = join(p.sb.dir, "home");
    mkdirSync(home);
    writeFileSync(join(home, ".bashrc"), "# mine\n");
    const root = p.repo.root;
    const state = p.sb.env["XDG_STATE_HOME"] ?? "";
    const targets = {
      hook: join(root, ".git", "hooks", "pre-commit"),
      config: join(root, ".git", "config"),
      ref: join(root, ".git", "refs", "heads", "main"),
      tag: join(root, ".git", "refs", "tags", "evil"),
      checkout: join(root, "README.md"),
      bashrc: join(home, ".bashrc"),
      state: join(state, "omk", "planted"),
    };
    const agent = p.script(
      "vandal",
      `import { appendFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const targets = ${JSON.stringify(targets)};
for (const [label, file] of Object.entries(targets)) {
  try { appendFileSync(file, "\\n#!/bin/sh\\necho pwned\\n", { mode: 0o755 }); console.log("WROTE " + label); }
  catch (e) { console.log("DENIED " + label + " " + e.code); }
}
// Every ledger it can find under omk's state dir gets a forged line.
const walk = (d) => { try { for (const n of readdirSync(d, { withFileTypes: true })) {
  const f = join(d, n.name);
  if (n.isDirectory()) walk(f);
  else if (n.name === "events.jsonl") { appendFileSync(f, "{}\\n"); console.log("FORGED " + f); }
} } catch {} };
walk(${JSON.stringify(join(state, "omk"))});
writeFileSync("ok.txt", "ok\\n");
`,
    );
    const before = Object.fromEntries(
      Object.entries(targets).map(([k, f]) => [
        k,
        (() => {
          try {
            return readFileSync(f, "utf8");
          } catch {
            return null;
          }
        })(),
      ]),
    );
    const { doc } = await p.execRun(agent, { args: ["--sandbox", "required"], env: { HOME: home } });
    expect(doc.status).toBe("ready");
    const out = await logs(doc.runId);
    for (const label of ["hook", "config", "ref", "tag", "checkout"])
      expect(out).toContain(`DENIED ${label} EROFS`);
    expect(out).not.toContain("FORGED");
    for (const [k, f] of Object.entries(targets)) {
      let now: string | null = null;
      try {
        now = readFileSync(f, "utf8");
      } catch {}
      expect(now, k).toBe(before[k]);
    }
    const ledger = p.ledger(doc.runId);
    expect(ofKind(ledger, "RepoTampered")).toEqual([]);
    expect(ofKind(ledger, "Confinement").map((l) => l.data)).toEqual([
      { attempt: 1, mode: "bwrap", requested: "required", network: "none" },
    ]);
    expect(await ledgerProblems(p.runDir(doc.runId))).toEqual([]);
    const verify = await p.proofVerify(doc.runId, ["--no-gates"]);
    expect(verify.doc.ok).toBe(true);

    // Control: unconfined, the same writes land (and the run does not come out ready).
    const open = await p.execRun(agent, { args: ["--sandbox", "off"], env: { HOME: home } });
    expect(open.r.code).not.toBe(0);
    for (const k of ["hook", "config", "checkout", "bashrc", "state"] as const)
      expect(readFileSync(targets[k], "utf8"), k).toContain("pwned");
    // …and the forged lines it appended break the ledgers it found, this run's own included.
    expect(await ledgerProblems(p.runDir(doc.runId))).not.toEqual([]);
  });

  it("a setsid daemon the agent leaves outside its worktree is gone when the turn ends", async () => {
    const token = `31${randomBytes(3).readUIntBE(0, 3)}`;
    const agent = p.script(
      "daemon",
      `import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
// A new session, a cwd outside the worktree, no pipes back: nothing ties it to the agent.
spawn("setsid", ["sleep", "${token}"], { cwd: "/", detached: true, stdio: "ignore" }).unref();
writeFileSync("ok.txt", "ok\\n");
await new Promise((r) => setTimeout(r, 300));
`,
    );
    const { doc } = await p.execRun(agent, { args: ["--sandbox", "required"] });
    expect(doc.status).toBe("ready");
    expect(processesWith(`sleep\0${token}`).filter(alive)).toEqual([]);

    // Control: unconfined, the daemon outlives the run (and is killed here).
    await p.execRun(agent, { args: ["--sandbox", "off"] });
    const left = processesWith(`sleep\0${token}`).filter(alive);
    for (const pid of left) process.kill(pid, "SIGKILL");
    expect(left.length).toBeGreaterThan(0);
  });

  describe("with a listener on 127.0.0.1", () => {
    let server: Server;
    let connections = 0;
    let port = 0;
    beforeEach(async () => {
      connections = 0;
      server = createServer((s) => {
        connections++;
        s.end("hello\n");
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      port = (server.address() as { port: number }).port;
    });
    afterEach(async () => {
      await new Promise((r) => server.close(r));
    });

    it("network none (exec's default) cannot connect to it; --network host can", async () => {
      const agent = p.script(
        "caller",
        `import { connect } from "node:net";
import { writeFileSync } from "node:fs";
writeFileSync("ok.txt", "ok\\n");
await new Promise((resolve) => {
  const s = connect(${port}, "127.0.0.1");
  s.setTimeout(3000, () => { console.log("TIMEOUT"); s.destroy(); resolve(); });
  s.on("connect", () => { console.log("CONNECTED"); s.end(); resolve(); });
  s.on("error", (e) => { console.log("FAILED " + e.code); resolve(); });
});
`,
      );
      const none = await p.execRun(agent, { args: ["--sandbox", "required"] });
      expect(none.doc.status).toBe("ready");
      expect(await logs(none.doc.runId)).toMatch(/FAILED E|TIMEOUT/);
      expect(connections).toBe(0);

      const host = await p.execRun(agent, { args: ["--sandbox", "required", "--network", "host"] });
      expect(await logs(host.doc.runId)).toContain("CONNECTED");
      expect(connections).toBe(1);
      expect(ofKind(p.ledger(host.doc.runId), "Confinement")[0]?.data).toMatchObject({ network: "host" });
    });
  });
});
