import { afterEach, describe, expect, it } from "vitest";
import { type Project, project } from "../helpers/project.js";

/** `omk doctor` through the built CLI, with stand-in agent CLIs (the real ones: test/e2e). */

interface AgentDoc {
  name: string;
  installed: { value: boolean; path: string | null; how: string };
  version: { value: string | null };
  auth: { value: string; how: string };
  quota: { value: string; how: string };
}

interface DoctorDoc {
  ok: boolean;
  node: { ok: boolean };
  git: { ok: boolean; version: string | null };
  stateDir: { ok: boolean };
  gates: { ok: boolean; count: number; source: string | null };
  agents: AgentDoc[];
}

let p: Project | null = null;
afterEach(async () => {
  await p?.cleanup();
  p = null;
});

/** A stand-in CLI: `--version` prints `version`; the auth status command prints `auth` and exits `authCode`. */
function fakeCli(pr: Project, name: string, version: string, auth: string, authCode: number): string {
  return pr.script(
    name,
    `const a = process.argv.slice(2);
if (a[0] === "--version") { console.log(${JSON.stringify(version)}); process.exit(0); }
if (a.join(" ") === "auth status" || a.join(" ") === "login status") {
  process.stderr.write(${JSON.stringify(auth)} + "\\n");
  console.log(${JSON.stringify(auth)});
  process.exit(${authCode});
}
process.exit(3);
`,
  );
}

async function doctor(
  pr: Project,
  env: Record<string, string>,
): Promise<{ code: number | null; doc: DoctorDoc }> {
  const r = await pr.omk(["doctor", "--json"], { env });
  return { code: r.code, doc: r.json<DoctorDoc>() };
}

function agent(doc: DoctorDoc, name: string): AgentDoc {
  const a = doc.agents.find((x) => x.name === name);
  if (a === undefined) throw new Error(`no ${name} in ${JSON.stringify(doc.agents)}`);
  return a;
}

describe("omk doctor", () => {
  it("reports an absent CLI as not installed, and omk itself as usable (exit 0)", async () => {
    p = await project({ "a.txt": "ok\n" });
    const { code, doc } = await doctor(p, {
      CLAUDE_BIN: "/nonexistent/claude",
      CODEX_BIN: "/nonexistent/codex",
    });
    expect(code).toBe(0);
    expect(doc.ok).toBe(true);
    expect(doc.git.ok && doc.node.ok && doc.stateDir.ok).toBe(true);
    expect(doc.gates).toMatchObject({ ok: true, count: 1, source: ".omk/gates.toml" });
    for (const name of ["claude", "codex"]) {
      expect(agent(doc, name).installed).toMatchObject({ value: false, path: null });
      expect(agent(doc, name).auth.value).toBe("unknown");
    }
  });

  it("installed but not logged in: the version is read, auth is unauthenticated, never authenticated", async () => {
    p = await project({ "a.txt": "ok\n" });
    const claude = fakeCli(
      p,
      "claude",
      "2.1.332 (Claude Code)",
      '{"loggedIn": false, "authMethod": "none"}',
      1,
    );
    const codex = fakeCli(p, "codex", "codex-cli 0.171.0", "Not logged in", 1);
    const { code, doc } = await doctor(p, { CLAUDE_BIN: claude, CODEX_BIN: codex });
    expect(code).toBe(0);
    expect(agent(doc, "claude")).toMatchObject({
      installed: { value: true, path: claude },
      version: { value: "2.1.332" },
      auth: { value: "unauthenticated" },
    });
    expect(agent(doc, "codex")).toMatchObject({
      version: { value: "0.171.0" },
      auth: { value: "unauthenticated" },
    });
    expect(agent(doc, "claude").auth.how).toContain("auth status` exit 1: loggedIn false");
  });

  it("a status command that exits 0 without stating a login is unknown, not authenticated", async () => {
    p = await project({ "a.txt": "ok\n" });
    const claude = fakeCli(p, "claude", "2.1.332 (Claude Code)", "whatever", 0);
    const codex = fakeCli(p, "codex", "codex-cli 0.171.0", "", 0);
    const { doc } = await doctor(p, { CLAUDE_BIN: claude, CODEX_BIN: codex });
    expect(agent(doc, "claude").auth.value).toBe("unknown");
    expect(agent(doc, "codex").auth.value).toBe("unknown");
  });

  it("quota is limited when the agent's latest run in this project hit a rate limit, unknown before", async () => {
    p = await project({ "a.txt": "bad\n" });
    const claude = p.script(
      "claude-limited",
      `const a = process.argv.slice(2);
if (a[0] === "--version") { console.log("2.1.332 (Claude Code)"); process.exit(0); }
if (a[0] === "auth") { console.log('{"loggedIn": false}'); process.exit(1); }
console.log(JSON.stringify({ type: "system", subtype: "init", session_id: "s1", model: "m" }));
console.log(JSON.stringify({ type: "result", subtype: "error_during_execution", is_error: true, result: "API Error: 429 rate limit exceeded" }));
process.exit(1);
`,
    );
    const before = await doctor(p, { CLAUDE_BIN: claude });
    expect(agent(before.doc, "claude").quota.value).toBe("unknown");
    const run = await p.omk(["run", "--json", "--agent", "claude", "--max-attempts", "1", "fix"], {
      env: { CLAUDE_BIN: claude },
    });
    expect(run.json<{ status: string }>().status).not.toBe("ready");
    const after = await doctor(p, { CLAUDE_BIN: claude });
    expect(agent(after.doc, "claude").quota).toMatchObject({ value: "limited" });
    expect(agent(after.doc, "claude").quota.how).toContain("429");
  });

  it("prints a human report on stdout", async () => {
    p = await project({ "a.txt": "ok\n" });
    const r = await p.omk(["doctor"], { env: { CLAUDE_BIN: "/nonexistent/claude" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("claude  not installed");
    expect(r.stdout).toContain("omk is usable here");
  });
});

describe("a read-only provider as a run's agent", () => {
  it("omk run --agent deepseek exits 2 naming the read-only rule, before any run exists", async () => {
    p = await project({ "a.txt": "ok\n" });
    const r = await p.omk(["run", "--agent", "deepseek", "explain the code"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("deepseek is read-only");
    expect(r.stderr).toContain("a run needs an agent that may write");
    expect(p.stateFiles().filter((f) => f.includes("/runs/"))).toEqual([]);
  });

  it("the same from .omk/config.toml", async () => {
    p = await project({ "a.txt": "ok\n", ".omk/config.toml": '[run]\nagent = "deepseek"\n' });
    const r = await p.omk(["run", "explain the code"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("deepseek is read-only");
    expect(p.stateFiles().filter((f) => f.includes("/runs/"))).toEqual([]);
  });
});
