import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { leaks, ofKind, type Project, project } from "../helpers/project.js";

// Planted values. Built from parts so this file itself does not trip a secret scanner.
const AWS_ID = ["AKIA", "Q3EGRT7ZW2X4NVBK"].join("");
const AWS_SECRET = ["wJalrXUtnFEMI", "K7MDENG", "bPxRfiCYz9Q8canaryKEY"].join("/");
const STRIPE = ["sk", "live", "9xW2mQ7rT4vB8nL3kJ6hcanary"].join("_");
const GHP = ["ghp", "Zx8Qw3Er5Ty7Ui9Op1As2Df4Gh6Jk8Lz0Xccanary"].join("_");
const OPENAI = ["sk", "proj", "Qm4Zr8Tx2Wv6Yb0Nc3Kd7Hf1Lg5Jp9Sa", "canary"].join("-");

// The gate records that it ran (it must not, when the change is blocked) and passes.
const GATE = `import { appendFileSync } from "node:fs";
appendFileSync(process.env.OMK_TEST_GATE_MARKER, "x");
`;

describe("omk run: security blocks (exec agent, built CLI)", () => {
  let h: Project;
  let gateMarker: string;
  beforeEach(async () => {
    // No .gitignore: the agent below creates one.
    h = await project(
      { "README.md": "sample\n", "gate.mjs": GATE },
      { gates: [{ name: "check", args: ["gate.mjs"] }], ignoreWorktrees: false },
    );
    gateMarker = join(h.sb.dir, "gate-ran");
  });
  afterEach(async () => {
    await h.cleanup();
  });

  /** Gates must never run on a blocked change: the gate appends to this marker when it runs. */
  const gateEnv = () => ({ OMK_TEST_GATE_MARKER: gateMarker });
  const gateRan = () => {
    try {
      readFileSync(gateMarker);
      return true;
    } catch {
      return false;
    }
  };

  for (const protectedPath of [".github/workflows/x.yml", ".gitignore"]) {
    it(`a write to ${protectedPath} blocks the run before any gate runs`, async () => {
      const agent = h.writerAgent("agent", {
        "src/ok.js": "export const ok = 1;\n",
        [protectedPath]: "on: push\n",
      });
      const { r, doc } = await h.execRun(agent, { env: gateEnv() });
      expect(r.code).toBe(1);
      expect(doc.status).toBe("blocked");
      expect(doc.reasons.join("\n")).toContain(protectedPath);
      const events = h.ledger(doc.runId);
      const v = ofKind(events, "WriteSetViolation");
      expect(v.map((e) => e.data["path"])).toEqual([protectedPath]);
      expect(String(v[0]?.data["reason"])).toMatch(/\.git/);
      expect(ofKind(events, "GateStarted")).toEqual([]);
      expect(ofKind(events, "GateResult")).toEqual([]);
      expect(gateRan()).toBe(false);
      expect(ofKind(events, "AttemptFinished").map((e) => e.data["outcome"])).toEqual(["blocked"]);
      // A blocked run is final: no retry, no commit on the branch, main untouched.
      expect(ofKind(events, "AttemptStarted")).toHaveLength(1);
      expect(ofKind(events, "Committed")).toEqual([]);
      expect(h.repo.git(["rev-parse", doc.branch])).toBe(h.base);
      expect(h.repo.git(["rev-parse", "main"])).toBe(h.base);
      expect(h.proof(doc.runId)["writeSet"]).toMatchObject({
        ok: false,
        violations: [{ path: protectedPath }],
      });
    });
  }

  it("a planted AWS key in a nested file blocks with a finding, and the key is persisted and printed nowhere", async () => {
    const file = "src/deep/er/config.js";
    const content = `// config\nexport const region = "eu-west-1";\nexport const accessKeyId = "${AWS_ID}";\naws_secret_access_key = "${AWS_SECRET}"\n`;
    const agent = h.writerAgent("agent", { [file]: content, "src/ok.js": "export const ok = 1;\n" });
    const { r, doc } = await h.execRun(agent, { args: ["--verbose"], env: gateEnv() });
    expect(r.code).toBe(1);
    expect(doc.status).toBe("blocked");
    const events = h.ledger(doc.runId);
    const findings = ofKind(events, "SecurityFinding").map((e) => e.data);
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: file, line: 3, rule: "aws-access-key-id" }),
        expect.objectContaining({ path: file, line: 4 }),
      ]),
    );
    expect(findings.every((f) => f["path"] === file)).toBe(true);
    expect(doc.reasons.join("\n")).toContain(`${file}:3`);
    expect(ofKind(events, "GateStarted")).toEqual([]);
    expect(gateRan()).toBe(false);
    // No patch artifact: a patch would carry the key.
    expect(ofKind(events, "DiffCaptured")[0]?.data["patchFile"]).toBeNull();

    const show = await h.omk(["run", "show", doc.runId, "--json"]);
    expect(show.code).toBe(0);
    const proofShow = await h.omk(["proof", "show", doc.runId]);
    const proofJson = await h.omk(["proof", "show", doc.runId, "--json"]);
    // A blocked run's proof still verifies (ledger, proof, branch at the base; no gate to re-run).
    const verify = await h.omk(["proof", "verify", doc.runId, "--json"]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const outputs = {
      "run stdout": r.stdout,
      "run stderr": r.stderr,
      "run show": show.stdout + show.stderr,
      "proof show": proofShow.stdout + proofShow.stderr,
      "proof show --json": proofJson.stdout + proofJson.stderr,
      "proof verify": verify.stdout + verify.stderr,
    };
    const files = h.stateFiles();
    expect(files.some((f) => f.endsWith("proof.json"))).toBe(true);
    // Control: the search does find the key where it is (the agent's file in the worktree).
    expect(leaks(AWS_ID, [join(doc.worktree, file)])).toHaveLength(1);
    for (const needle of [AWS_ID, AWS_SECRET, AWS_SECRET.slice(0, 16)]) {
      expect(leaks(needle, files, outputs), needle).toEqual([]);
    }
    // The finding is still useful: the rule and place are shown, the value is not.
    expect(proofShow.stdout + proofShow.stderr).toMatch(/aws-access-key-id/);
  });

  it("a symlink to a file outside the repository is never read and blocks the run", async () => {
    const outside = join(h.sb.dir, "outside-secret.txt");
    writeFileSync(outside, `token = "${GHP}"\n${STRIPE}\n`);
    const agent = h.script(
      "agent",
      `import { symlinkSync, writeFileSync } from "node:fs";
symlinkSync(${JSON.stringify(outside)}, "link.txt");
symlinkSync("../../../../../../../../../nonexistent-omk-target", "dangling.txt");
writeFileSync("ok.txt", "fine\\n");
`,
    );
    const { r, doc } = await h.execRun(agent, { args: ["--verbose"], env: gateEnv() });
    expect(r.code).toBe(1);
    expect(doc.status).toBe("blocked");
    const events = h.ledger(doc.runId);
    // It was not opened: a read would have produced findings for the planted values.
    expect(ofKind(events, "SecurityFinding")).toEqual([]);
    // Judged by where it points, not by whether the target exists: a dangling escape blocks too.
    expect(ofKind(events, "WriteSetViolation").map((e) => e.data)).toEqual([
      { attempt: 1, path: "dangling.txt", reason: "symlink points outside the repository" },
      { attempt: 1, path: "link.txt", reason: "symlink points outside the repository" },
    ]);
    expect(ofKind(events, "GateStarted")).toEqual([]);
    expect(gateRan()).toBe(false);
    expect(doc.reasons.join("\n")).toContain("link.txt");
    const show = await h.omk(["run", "show", doc.runId, "--json"]);
    const outputs = { stdout: r.stdout, stderr: r.stderr, show: show.stdout + show.stderr };
    for (const needle of [GHP, STRIPE]) expect(leaks(needle, h.stateFiles(), outputs), needle).toEqual([]);
  });

  it("a symlink that stays inside the worktree is fine", async () => {
    const agent = h.script(
      "agent",
      `import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
mkdirSync("docs");
writeFileSync("docs/a.md", "a\\n");
symlinkSync("a.md", "docs/b.md");
symlinkSync("../README.md", "docs/readme.md");
`,
    );
    const { r, doc } = await h.execRun(agent, { env: gateEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(doc.status).toBe("ready");
    expect(ofKind(h.ledger(doc.runId), "WriteSetViolation")).toEqual([]);
    expect(h.repo.git(["ls-tree", "-r", doc.branch, "docs/b.md"])).toMatch(/^120000 /);
  });

  it("parent env secrets never reach the exec agent; secrets it prints are persisted and shown nowhere", async () => {
    const dump = join(h.sb.dir, "agent-env.json");
    const agent = h.script(
      "agent",
      `import { writeFileSync } from "node:fs";
writeFileSync(${JSON.stringify(dump)}, JSON.stringify(process.env));
console.log("using key ${STRIPE} and token ${GHP}");
console.error("debug: Authorization: Bearer ${GHP}");
writeFileSync("out.txt", "done\\n");
if (process.env.OMK_ATTEMPT === "1") process.exit(3);
`,
    );
    const parentEnv = { ...gateEnv(), OPENAI_API_KEY: OPENAI, GITHUB_TOKEN: GHP, MY_SERVICE_TOKEN: STRIPE };
    const { r, doc } = await h.execRun(agent, { args: ["--verbose"], env: parentEnv });
    expect(r.code, r.stderr).toBe(0);
    expect(doc.status).toBe("ready");
    expect(doc.attempts).toBe(2);

    const env = JSON.parse(readFileSync(dump, "utf8")) as Record<string, string>;
    // The dump is from attempt 2: the feedback is in its own file, OMK_TASK still the task alone.
    expect(env["OMK_ATTEMPT"]).toBe("2");
    expect(env["OMK_TASK"]).toBe("fix the thing");
    expect(env["OMK_FEEDBACK_FILE"]).toMatch(/feedback-2\.md$/);
    for (const name of ["OPENAI_API_KEY", "GITHUB_TOKEN", "MY_SERVICE_TOKEN"])
      expect(env).not.toHaveProperty(name);
    for (const needle of [OPENAI, GHP, STRIPE]) expect(JSON.stringify(env)).not.toContain(needle);

    // The agent's failure (attempt 1, exit 3) and its output were recorded — redacted.
    const events = h.ledger(doc.runId);
    const finished = ofKind(events, "AgentFinished");
    expect(finished[0]?.data["status"]).toBe("failed");
    expect(String(finished[0]?.data["detail"])).toContain("[REDACTED]");
    const saved = readFileSync(join(h.runDir(doc.runId), "artifacts", "output-1.log"), "utf8");
    expect(saved).toMatch(/using key.*\[REDACTED\]/);
    const samples = ofKind(events, "AgentOutput").map((e) => String(e.data["sample"]));
    expect(samples.some((t) => t.includes("using key") && t.includes("[REDACTED]"))).toBe(true);

    const files = h.stateFiles();
    expect(files.some((f) => f.endsWith("feedback-2.md"))).toBe(true);
    const outputs = { stdout: r.stdout, stderr: r.stderr };
    for (const needle of [OPENAI, GHP, STRIPE]) expect(leaks(needle, files, outputs), needle).toEqual([]);
  });
});
