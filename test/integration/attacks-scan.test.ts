import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { leaks, ofKind, type Project, project } from "../helpers/project.js";
import {
  ALNUM,
  B64,
  B64URL,
  BECH32,
  fakeChars,
  HEX,
  LOWER,
  UPPER,
} from "../unit/security/secret-arbitraries.js";

/**
 * Unscanned content: what the agent can hide a secret in, and token kinds beyond the original list.
 * Every one must block the run, name the path, and leave no raw copy anywhere omk writes.
 */

const hex = (n: number, seed: number) => `1${fakeChars(HEX, n - 2, seed)}a`;
const alnum = (n: number, seed: number) => `7${fakeChars(ALNUM, n - 3, seed)}Qz`;
const letters = (n: number, seed: number) => `Q${fakeChars(UPPER + LOWER, n - 2, seed)}z`;

/** 16 kinds omk did not know before (secretlint's preset and gitleaks' fixed-prefix rules). */
const NEW_KINDS: [string, string][] = [
  ["huggingface", `hf_${letters(34, 1)}`],
  ["gitlab", `glpat-${fakeChars(B64URL, 20, 2)}`],
  ["sendgrid", `SG.${fakeChars(B64URL, 22, 4)}.${fakeChars(B64URL, 43, 5)}`],
  ["slack-webhook", `https://hooks.slack.com/services/T${alnum(9, 6)}/B${alnum(9, 7)}/${alnum(24, 8)}`],
  ["shopify", `shpat_${hex(32, 11)}`],
  ["doppler", `dp.pt.${alnum(43, 12)}`],
  ["digitalocean", `dop_v1_${hex(64, 14)}`],
  ["linear", `lin_api_${alnum(40, 15)}`],
  ["postman", `PMAK-${hex(24, 16)}-${hex(34, 17)}`],
  ["pulumi", `pul-${hex(40, 18)}`],
  ["grafana", `glc_${fakeChars(B64, 60, 19)}`],
  ["mailgun", `key-${hex(32, 24)}`],
  ["age", `AGE-SECRET-KEY-1${fakeChars(BECH32, 58, 25)}`],
  ["flyio", `fo1_${fakeChars(B64URL, 43, 28)}`],
  ["vault", `hvs.${fakeChars(B64URL, 95, 39)}`],
  ["stripe-restricted", `rk_live_${alnum(24, 57)}`],
];
const GHP = ["ghp", "Zx8Qw3Er5Ty7Ui9Op1As2Df4Gh6Jk8Lz0Xccanary"].join("_");

const GATE = `import { appendFileSync } from "node:fs";\nappendFileSync(process.env.OMK_TEST_GATE_MARKER ?? "/dev/null", "x");\n`;

let p: Project;
afterEach(async () => {
  await p.cleanup();
});

/** The agent writes `files` (contents given as base64, so any bytes) and exits 0. */
function binaryWriter(files: Record<string, Buffer>): string {
  const encoded = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.toString("base64")]));
  return p.script(
    "agent",
    `import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
for (const [f, c] of Object.entries(${JSON.stringify(encoded)})) {
  mkdirSync(dirname(f), { recursive: true });
  writeFileSync(f, Buffer.from(c, "base64"));
}
`,
  );
}

describe("secrets an agent hides", () => {
  it.each([
    [
      "a 5 MiB file",
      "data/big.txt",
      () =>
        Buffer.concat([
          Buffer.alloc(5 * 1024 * 1024, "lorem ipsum dolor sit amet\n"),
          Buffer.from(`\ntoken=${GHP}\n`),
        ]),
    ],
    [
      "a binary file",
      "assets/blob.bin",
      () => Buffer.concat([Buffer.from([0, 1, 2, 0, 255, 0]), Buffer.from(GHP), Buffer.from([0, 0, 7])]),
    ],
    [
      "a UTF-16 file",
      "notes/utf16.txt",
      () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`key: ${GHP}\n`, "utf16le")]),
    ],
  ])("%s blocks the run", async (_what, path, content) => {
    p = await project({ "gate.mjs": GATE }, { gates: [{ name: "check", args: ["gate.mjs"] }] });
    const { r, doc } = await p.execRun(binaryWriter({ [path]: content() }));
    expect(doc.status).toBe("blocked");
    expect(doc.reasons.join("\n")).toMatch(new RegExp(`possible secret \\(github-token\\) in ${path}`));
    expect(leaks(GHP, p.stateFiles(), { stdout: r.stdout, stderr: r.stderr })).toEqual([]);
  });

  it("a secret in a file name blocks the run, and the name is stored redacted", async () => {
    p = await project({ "gate.mjs": GATE }, { gates: [{ name: "check", args: ["gate.mjs"] }] });
    const { r, doc } = await p.execRun(p.writerAgent("agent", { [`keys/${GHP}.txt`]: "hello\n" }));
    expect(doc.status).toBe("blocked");
    expect(leaks(GHP, p.stateFiles(), { stdout: r.stdout, stderr: r.stderr })).toEqual([]);
  });

  it(`${NEW_KINDS.length} token kinds beyond the original list each block the run`, async () => {
    p = await project({ "gate.mjs": GATE }, { gates: [{ name: "check", args: ["gate.mjs"] }] });
    const files = Object.fromEntries(
      NEW_KINDS.map(([kind, token]) => [`cfg/${kind}.txt`, `value = "${token}"\n`]),
    );
    const { r, doc } = await p.execRun(p.writerAgent("agent", files));
    expect(doc.status).toBe("blocked");
    const found = new Set(ofKind(p.ledger(doc.runId), "SecurityFinding").map((e) => e.data["path"]));
    for (const [kind] of NEW_KINDS) expect(found.has(`cfg/${kind}.txt`), kind).toBe(true);
    for (const [kind, token] of NEW_KINDS)
      expect(leaks(token, p.stateFiles(), { stdout: r.stdout, stderr: r.stderr }), kind).toEqual([]);
  });
});

describe("a worktree omk cannot snapshot", () => {
  it("a nested repository without a commit blocks the attempt with git's reason, and resume does not retry it", async () => {
    p = await project({ "gate.mjs": GATE }, { gates: [{ name: "check", args: ["gate.mjs"] }] });
    const marker = `${p.sb.dir}/gate-ran`;
    // `git init` inside the worktree (scaffolding tools do it) leaves a repository git cannot add.
    const agent = p.script(
      "agent",
      `import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
mkdirSync("pkg", { recursive: true });
spawnSync("git", ["init", "-q", "pkg"], { stdio: "inherit" });
writeFileSync("pkg/index.js", "export {};\\n");
writeFileSync("a.txt", "changed\\n");
`,
    );
    const { doc, r } = await p.execRun(agent, { env: { OMK_TEST_GATE_MARKER: marker } });
    expect(doc.status, `${doc.reasons.join("\n")}\n${r.stderr}`).toBe("blocked");
    expect(doc.reasons.join("\n")).toMatch(/pkg\/ could not be scanned .*does not have a commit checked out/);
    const ledger = p.ledger(doc.runId);
    expect(ofKind(ledger, "AttemptFinished").map((e) => e.data["outcome"])).toEqual(["blocked"]);
    expect(ofKind(ledger, "Committed")).toEqual([]);
    // The gates never ran: nothing of the agent's may execute when nothing can be judged.
    expect(existsSync(marker)).toBe(false);
    const again = await p.omk(["run", "resume", doc.runId, "--json"]);
    expect(again.code).toBe(1);
    expect(again.json<{ status: string }>().status).toBe("blocked");
    expect(ofKind(p.ledger(doc.runId), "AttemptStarted")).toHaveLength(1);
  });
});

describe("environment values", () => {
  it("OMK_* and LC_* variables with secret-shaped values never reach the agent", async () => {
    p = await project({ "gate.mjs": GATE }, { gates: [{ name: "check", args: ["gate.mjs"] }] });
    const dump = `${p.sb.dir}/agent-env.json`;
    const agent = p.script(
      "agent",
      `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(dump)}, JSON.stringify(process.env));\nwriteFileSync("x.txt", "x\\n");\n`,
    );
    const { r } = await p.execRun(agent, {
      env: { OMK_NOTE: GHP, LC_PAPER: `tok ${GHP}`, OMK_PLAIN: "fine" },
    });
    const seen = JSON.parse(readFileSync(dump, "utf8")) as Record<string, string>;
    expect(seen["OMK_NOTE"]).toBeUndefined();
    expect(seen["LC_PAPER"]).toBeUndefined();
    expect(seen["OMK_PLAIN"]).toBe("fine");
    expect(JSON.stringify(seen)).not.toContain(GHP);
    // The warning names the variable, never the value.
    expect(r.stderr).not.toContain(GHP);
  });
});
