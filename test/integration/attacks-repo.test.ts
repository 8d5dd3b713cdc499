import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ofKind, type Project, project } from "../helpers/project.js";

/**
 * The agent reaching outside its worktree: the repository's hooks and config, its refs, the main
 * checkout. Planted commands must never run inside omk, and the tampering blocks the run.
 */

const ANSWER_GATE = `import { readFileSync } from "node:fs";
if (readFileSync("answer.txt", "utf8").trim() !== "42") process.exit(1);
`;

let p: Project;
afterEach(async () => {
  await p.cleanup();
});

const setup = () =>
  project(
    { "answer.txt": "0\n", "check.mjs": ANSWER_GATE },
    { gates: [{ name: "check", args: ["check.mjs"] }] },
  );

/** An exec agent that solves the task and also runs `attack` (JS, cwd = its worktree). */
function agentWith(attack: string): string {
  return p.script(
    "agent",
    `import { execFileSync } from "node:child_process";
import { appendFileSync, chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const common = execFileSync("git", ["rev-parse", "--path-format=absolute", "--git-common-dir"], { encoding: "utf8" }).trim();
writeFileSync("answer.txt", "42\\n");
${attack}
`,
  );
}

describe("attacks on the repository outside the worktree", () => {
  it("a planted hook and fsmonitor never run (run, proof verify, land), and the tampering blocks", async () => {
    p = await setup();
    const marker = join(p.sb.dir, "planted-ran");
    const agent = agentWith(`
const script = "#!/bin/sh\\necho ran >> ${marker}\\n";
for (const hook of ["post-checkout", "pre-commit", "post-commit", "reference-transaction", "post-index-change"]) {
  writeFileSync(join(common, "hooks", hook), script);
  chmodSync(join(common, "hooks", hook), 0o755);
}
writeFileSync(join(common, "fsmon.sh"), script);
chmodSync(join(common, "fsmon.sh"), 0o755);
execFileSync("git", ["config", "core.fsmonitor", join(common, "fsmon.sh")]);
`);
    const { doc } = await p.execRun(agent);
    expect(doc.status).toBe("blocked");
    const tampered = ofKind(p.ledger(doc.runId), "RepoTampered").flatMap(
      (e) => e.data["changes"] as string[],
    );
    expect(tampered).toEqual(
      expect.arrayContaining([expect.stringMatching(/hook post-checkout/), expect.stringMatching(/config/)]),
    );
    expect(doc.reasons.join("\n")).toMatch(/the repository outside the worktree changed/);
    // omk's later git calls do not run them either.
    await p.proofVerify(doc.runId);
    await p.omk(["land", doc.runId]);
    await p.omk([
      "run",
      "--json",
      "--agent",
      "exec",
      "--agent-bin",
      p.writerAgent("clean", { "answer.txt": "42\n" }),
      "again",
    ]);
    expect(existsSync(marker)).toBe(false);
  });

  it("a clean filter planted in the shared config mid-turn never runs, and the tampering blocks", async () => {
    p = await setup();
    const marker = join(p.sb.dir, "filter-ran");
    // Added during the turn, after the guard's first read of the config: the guard reads a changed
    // config again, and the snapshot (git in the worktree) waits for the git dir's check besides.
    const agent = agentWith(`
writeFileSync(join(common, "evil.sh"), "#!/bin/sh\\necho ran >> ${marker}\\ncat\\n");
chmodSync(join(common, "evil.sh"), 0o755);
execFileSync("git", ["config", "filter.evil.clean", join(common, "evil.sh")]);
writeFileSync(".gitattributes", "* filter=evil\\n");
`);
    const { doc } = await p.execRun(agent, { args: ["--max-attempts", "1"] });
    expect(doc.status).toBe("blocked");
    expect(ofKind(p.ledger(doc.runId), "RepoTampered").flatMap((e) => e.data["changes"] as string[])).toEqual(
      expect.arrayContaining([expect.stringMatching(/config/)]),
    );
    expect(ofKind(p.ledger(doc.runId), "Snapshot")).toEqual([]);
    expect(existsSync(marker)).toBe(false);
  });

  it("a moved main blocks the run", async () => {
    p = await setup();
    const agent = agentWith(`execFileSync("git", ["update-ref", "refs/heads/main", "HEAD~0"]);
execFileSync("git", ["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-q", "--allow-empty", "-m", "x"]);
execFileSync("git", ["update-ref", "refs/heads/main", "HEAD"]);`);
    const { doc } = await p.execRun(agent);
    expect(doc.status).toBe("blocked");
    expect(doc.reasons.join("\n")).toMatch(/refs\/heads\/main moved/);
  });

  it("an edited tracked file of the main checkout blocks the run", async () => {
    p = await setup();
    const main = p.repo.root;
    const agent = agentWith(
      `appendFileSync(${JSON.stringify(join(main, "check.mjs"))}, "\\n// planted\\n");`,
    );
    const { doc } = await p.execRun(agent);
    expect(doc.status).toBe("blocked");
    expect(doc.reasons.join("\n")).toMatch(/main checkout: check.mjs modified/);
  });

  it("an implementation hidden through info/exclude does not pass", async () => {
    p = await project(
      { "check.mjs": `import { impl } from "./impl.mjs";\nif (impl() !== 42) process.exit(1);\n` },
      { gates: [{ name: "check", args: ["check.mjs"] }] },
    );
    const agent = agentWith(`appendFileSync(join(common, "info", "exclude"), "\\nimpl.mjs\\n");
writeFileSync("impl.mjs", "export const impl = () => 42;\\n");
writeFileSync("README.md", "done\\n");`);
    const { doc } = await p.execRun(agent, { args: ["--max-attempts", "1"] });
    expect(["blocked", "not_ready"]).toContain(doc.status);
    expect(doc.status).not.toBe("ready");
  });

  it("a clean run is not disturbed by the fingerprint", async () => {
    p = await setup();
    writeFileSync(join(p.sb.dir, "unused"), "");
    const { doc } = await p.execRun(p.writerAgent("agent", { "answer.txt": "42\n" }));
    expect(doc.status).toBe("ready");
    expect(ofKind(p.ledger(doc.runId), "RepoTampered")).toEqual([]);
  });
});
