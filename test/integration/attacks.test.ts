import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { decodeEvents } from "../../src/journal/events.js";
import { projectRun } from "../../src/journal/state.js";
import { buildProof } from "../../src/proof/build.js";
import {
  chainEvents,
  encodeEvents,
  GENESIS_HASH,
  type LedgerEvent,
  serializeHead,
} from "../../src/store/ledger/format.js";
import { gatesToml } from "../helpers/gates.js";
import { checkOf, ledgerLines, ofKind, type Project, project } from "../helpers/project.js";

/**
 * The agent is hostile: each test is an attack an `exec` agent (or code it planted) performs, and
 * what omk must do about it. Everything runs through the built CLI.
 */

const ANSWER_GATE = `import { readFileSync } from "node:fs";
if (readFileSync("answer.txt", "utf8").trim() !== "42") { console.error("not 42"); process.exit(1); }
`;
// Built from parts so this file itself does not trip a secret scanner.
const TOKEN = ["ghp", "Zx8Qw3Er5Ty7Ui9Op1As2Df4Gh6Jk8Lz0Xccanary"].join("_");

let p: Project;
afterEach(async () => {
  await p.cleanup();
});

const git = (args: string[], cwd?: string) => p.repo.git(args, cwd);
const treeFiles = (rev: string) => git(["ls-tree", "-r", "--name-only", rev]).split("\n");

describe("attacks on what lands", () => {
  it("files staged by gate code, and by a setsid process it leaves, never reach the run commit", async () => {
    p = await project(
      { "answer.txt": "0\n", "check.mjs": ANSWER_GATE },
      { gates: [{ name: "check", args: ["check.mjs"] }] },
    );
    // The agent plants code in the gate it knows will run: it writes a workflow and a token into every
    // run worktree it can find and stages them, at once and again later from a detached process.
    const attack = `
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const plant = () => {
  const root = join(process.cwd(), "..");
  for (const d of readdirSync(root).filter((n) => n.startsWith("run-"))) {
    const wt = join(root, d);
    mkdirSync(join(wt, ".github/workflows"), { recursive: true });
    writeFileSync(join(wt, ".github/workflows/x.yml"), "on: push\\n");
    writeFileSync(join(wt, "token.txt"), "planted");
    try { execFileSync("git", ["add", "-A"], { cwd: wt }); } catch {}
  }
};
if (process.argv[2] === "later") { setTimeout(plant, 300); } else {
  plant();
  spawn(process.execPath, [process.argv[1], "later"], { detached: true, stdio: "ignore", env: process.env }).unref();
}
`;
    const agent = p.writerAgent("agent", {
      "answer.txt": "42\n",
      "check.mjs": `${ANSWER_GATE}\nawait import("./plant.mjs");\n`,
      "plant.mjs": attack,
    });
    const { doc } = await p.execRun(agent);
    expect(doc.status).toBe("ready");
    await new Promise((r) => setTimeout(r, 800)); // the detached process had its chance
    const files = treeFiles(doc.branch);
    expect(files).not.toContain(".github/workflows/x.yml");
    expect(files).not.toContain("token.txt");
    expect(git(["rev-list", `${p.base}..${doc.branch}`]).split("\n")).toHaveLength(1);
    const v = await p.proofVerify(doc.runId, ["--no-gates"]);
    expect(v.code, JSON.stringify(v.doc.checks)).toBe(0);
    expect(checkOf(v.doc, "commit").detail).toMatch(/holds the judged tree/);
  });

  it("an agent that commits a secret and then removes it: only omk's commit reaches the branch", async () => {
    p = await project(
      { "answer.txt": "0\n", "check.mjs": ANSWER_GATE },
      { gates: [{ name: "check", args: ["check.mjs"] }] },
    );
    const agent = p.script(
      "agent",
      `import { execFileSync } from "node:child_process";
import { writeFileSync, mkdirSync } from "node:fs";
const g = (...a) => execFileSync("git", ["-c", "user.name=a", "-c", "user.email=a@b", ...a]);
writeFileSync("key.txt", ${JSON.stringify(TOKEN.split("_"))}.join("_"));
mkdirSync(".github/workflows", { recursive: true });
writeFileSync(".github/workflows/x.yml", "on: push\\n");
g("add", "-A"); g("commit", "-qm", "add key");
g("rm", "-rq", "key.txt", ".github"); g("commit", "-qm", "remove key");
writeFileSync("answer.txt", "42\\n");
`,
    );
    const { doc } = await p.execRun(agent);
    expect(doc.status).toBe("ready");
    const commits = git(["log", "--format=%s", `${p.base}..${doc.branch}`]).split("\n");
    expect(commits).toEqual([expect.stringMatching(/^omk: /)]);
    // No object reachable from the run branch holds the secret.
    const objects = git(["rev-list", "--objects", doc.branch])
      .split("\n")
      .map((l) => l.split(" ")[0]!);
    for (const o of objects) expect(git(["cat-file", "-p", o]).includes(TOKEN), o).toBe(false);
    // The ledger notes that the agent committed, without the secret.
    const snap = ofKind(p.ledger(doc.runId), "Snapshot")[0]?.data as { agentCommits: { subject: string }[] };
    expect(snap.agentCommits.map((c) => c.subject)).toEqual(["remove key", "add key"]);
    expect(readFileSync(join(p.runDir(doc.runId), "events.jsonl"), "utf8")).not.toContain(TOKEN);
  });

  it("an implementation hidden in an ignored file fails its gates in the pristine checkout", async () => {
    const gate = `import { impl } from "./build/impl.mjs";\nif (impl() !== 42) process.exit(1);\n`;
    p = await project(
      { ".gitignore": ".omk/worktrees/\nbuild/\n", "check.mjs": gate },
      { gates: [{ name: "check", args: ["check.mjs"] }] },
    );
    const agent = p.writerAgent("agent", {
      "build/impl.mjs": "export const impl = () => 42;\n",
      "README.md": "implemented\n",
    });
    const { doc } = await p.execRun(agent, { args: ["--max-attempts", "1"] });
    expect(doc.status).toBe("not_ready");
    expect(doc.reasons.join(" ")).toMatch(/check \(fail\)/);
  });
});

describe("the agent choosing its own judge", () => {
  const PKG = JSON.stringify({ name: "x", description: "old", scripts: { test: "node check.mjs" } }, null, 2);
  const setup = async () => {
    p = await project(
      {
        "answer.txt": "0\n",
        "check.mjs": ANSWER_GATE,
        "package.json": `${PKG}\n`,
        ".omk/gates.toml": `protect = ["package.json#scripts.test"]\n\n${gatesToml([{ name: "check", args: ["check.mjs"] }])}`,
        ".omk/config.toml": "[run]\nmax_attempts = 1\n",
      },
      { gates: [] },
    );
  };
  const edits: [string, Record<string, string>, string][] = [
    [
      ".omk/gates.toml",
      { ".omk/gates.toml": '[[gates]]\nname = "check"\ncommand = "true"\n' },
      ".omk/gates.toml",
    ],
    [
      ".omk/config.toml",
      { ".omk/config.toml": '[workspace]\nsetup = [["touch", "/tmp/pwned"]]\n' },
      ".omk/config.toml",
    ],
    [
      ".claude/settings.json",
      { ".claude/settings.json": '{"permissions":{"allow":["Bash"]}}\n' },
      ".claude/settings.json",
    ],
    [
      "a protected package.json script",
      { "package.json": `${PKG.replace('"node check.mjs"', '"true"')}\n` },
      "package.json#scripts.test",
    ],
  ];

  it.each(edits)("an edit to %s blocks the run and names the path", async (_what, files, path) => {
    await setup();
    const agent = p.writerAgent("agent", { "answer.txt": "42\n", ...files });
    const { doc } = await p.execRun(agent);
    expect(doc.status).toBe("blocked");
    expect(doc.reasons.join("\n")).toContain(`write to protected path ${path}: protected path`);
    expect(git(["rev-parse", doc.branch])).toBe(p.base);
  });

  it("--allow-path lets the person permit it for one run, and the permission is recorded", async () => {
    await setup();
    const agent = p.writerAgent("agent", {
      "answer.txt": "42\n",
      ".claude/settings.json": "{}\n",
    });
    const { doc } = await p.execRun(agent, { args: ["--allow-path", ".claude/**"] });
    expect(doc.status).toBe("ready");
    const allowed = ofKind(p.ledger(doc.runId), "PathAllowed").map((e) => e.data);
    expect(allowed).toEqual([expect.objectContaining({ path: ".claude/settings.json", glob: ".claude/**" })]);
    expect((p.proof(doc.runId) as { writeSet: { allowed: unknown[] } }).writeSet.allowed).toHaveLength(1);
  });

  it("a change elsewhere in package.json is not a change to the protected script", async () => {
    await setup();
    const agent = p.writerAgent("agent", {
      "answer.txt": "42\n",
      "package.json": `${PKG.replace('"old"', '"new"')}\n`,
    });
    const { doc } = await p.execRun(agent);
    expect(doc.status).toBe("ready");
  });
});

describe("a rewritten ledger", () => {
  /** What an agent process that outlives omk can do: rewrite the chain and head, and rebuild the proof. */
  function forgeReady(dir: string): void {
    const lines = ledgerLines(dir) as unknown as LedgerEvent[];
    const forged = lines
      .filter((e) => e.kind !== "ProofWritten")
      .map((e) => {
        const data = structuredClone(e.data) as Record<string, unknown>;
        if (e.kind === "GateResult") (data["gate"] as Record<string, unknown>)["status"] = "pass";
        if (e.kind === "AttemptFinished") data["outcome"] = "passed";
        if (e.kind === "RunFinished")
          Object.assign(data, { status: "ready", reasons: ["all required gates passed"] });
        return { id: e.id, ts: e.ts, run: e.run, kind: e.kind, actor: e.actor, data };
      });
    const chained = chainEvents({ seq: 0, hash: GENESIS_HASH }, forged);
    const typed = decodeEvents(chained).events;
    const proof = buildProof(projectRun(typed), typed, "0.1.0");
    const proofText = `${JSON.stringify(proof, null, 2)}\n`;
    writeFileSync(join(dir, "proof.json"), proofText);
    const sha256 = createHash("sha256").update(proofText).digest("hex");
    const last = chained.at(-1)!;
    const written = chainEvents({ seq: last.seq, hash: last.hash }, [
      {
        id: "evt-forged",
        ts: last.ts,
        run: last.run,
        kind: "ProofWritten",
        actor: "omk",
        data: { file: "proof.json", sha256, status: "ready", headSeq: last.seq },
      },
    ]);
    const all = [...chained, ...written];
    const text = encodeEvents(all);
    writeFileSync(join(dir, "events.jsonl"), text);
    const tip = all.at(-1)!;
    writeFileSync(
      join(dir, "events.head"),
      serializeHead({ seq: tip.seq, hash: tip.hash, size: Buffer.byteLength(text) }),
    );
  }

  it("with gates flipped to pass and the chain recomputed, it does not land", async () => {
    p = await project(
      { "answer.txt": "0\n", "check.mjs": ANSWER_GATE },
      { gates: [{ name: "check", args: ["check.mjs"] }] },
    );
    const agent = p.writerAgent("agent", { "answer.txt": "41\n" });
    const { doc } = await p.execRun(agent, { args: ["--max-attempts", "1"] });
    expect(doc.status).toBe("not_ready");
    forgeReady(p.runDir(doc.runId));
    // The forgery is internally consistent: the ledger and the proof agree with each other...
    const shown = await p.omk(["run", "show", doc.runId, "--json"]);
    expect(shown.json<{ status: string; ledger: { ok: boolean } }>()).toMatchObject({
      status: "ready",
      ledger: { ok: true },
    });
    // ...but land judges the exact commit with the project's own gates, and refuses.
    const land = await p.omk(["land", doc.runId, "--json"]);
    expect(land.code).toBe(1);
    expect(land.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: "LAND_REFUSED",
      message: expect.stringMatching(/gates fail on the run's commit: check \(fail\)/),
    });
    expect(git(["rev-parse", "main"])).toBe(p.base);
  });

  it("events appended after the final event, with or without the head, fail proof verify and land", async () => {
    p = await project(
      { "answer.txt": "0\n", "check.mjs": ANSWER_GATE },
      { gates: [{ name: "check", args: ["check.mjs"] }] },
    );
    const { doc } = await p.execRun(p.writerAgent("agent", { "answer.txt": "42\n" }));
    const dir = p.runDir(doc.runId);
    const original = {
      events: readFileSync(join(dir, "events.jsonl")),
      head: readFileSync(join(dir, "events.head")),
    };
    const lines = ledgerLines(dir) as unknown as LedgerEvent[];
    const last = lines.at(-1)!;
    const extra = chainEvents({ seq: last.seq, hash: last.hash }, [
      {
        id: "evt-x",
        ts: last.ts,
        run: last.run,
        kind: "RunFinished",
        actor: "omk",
        data: { status: "ready", reasons: [], headCommit: null },
      },
    ]);
    writeFileSync(
      join(dir, "events.jsonl"),
      Buffer.concat([original.events, Buffer.from(encodeEvents(extra))]),
    );
    // Without touching the head: the head no longer matches the last line of a finished run.
    let v = await p.proofVerify(doc.runId, ["--no-gates"]);
    expect(v.code).toBe(1);
    expect(checkOf(v.doc, "integrity").detail).toMatch(/appended after the run's final event/);
    expect(checkOf(v.doc, "integrity").detail).toMatch(/events.head .* does not match the last event/);
    // With the head moved along too.
    const size = readFileSync(join(dir, "events.jsonl")).length;
    writeFileSync(
      join(dir, "events.head"),
      serializeHead({ seq: extra[0]!.seq, hash: extra[0]!.hash, size }),
    );
    v = await p.proofVerify(doc.runId, ["--no-gates"]);
    expect(v.code).toBe(1);
    expect(checkOf(v.doc, "integrity")).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/RunFinished was appended/),
    });
    const land = await p.omk(["land", doc.runId]);
    expect(land.code).toBe(1);
    expect(land.stderr).toMatch(/appended after the run's final event/);
    // An artifact the ledger does not name.
    writeFileSync(join(dir, "events.jsonl"), original.events);
    writeFileSync(join(dir, "events.head"), original.head);
    writeFileSync(join(dir, "artifacts", "attempt-9.patch"), "extra");
    v = await p.proofVerify(doc.runId, ["--no-gates"]);
    expect(checkOf(v.doc, "integrity")).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/attempt-9.patch is not named/),
    });
  });
});
