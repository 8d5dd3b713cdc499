import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanGitEnv, makeTempDir, runGit } from "../helpers/git-repo.js";
import { type Project, project } from "../helpers/project.js";
import { RECEIPT } from "../helpers/receipts.js";

/** docs/proofs.md's "Verifying without omk" shell block, exactly as a reviewer would copy it. */
function docsScript(): string {
  const doc = readFileSync(new URL("../../docs/proofs.md", import.meta.url), "utf8");
  const section = doc.slice(doc.indexOf("## Verifying without omk"));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  if (!m?.[1]) throw new Error("no sh block under 'Verifying without omk' in docs/proofs.md");
  return m[1];
}

const have = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

describe.skipIf(!have("jq") || !have("openssl"))("docs/proofs.md: verifying a receipt without omk", () => {
  let p: Project;
  let dir: string;
  beforeEach(async () => {
    p = await project({ "a.txt": "ok a\n" });
    dir = makeTempDir("omk-docs-");
  });
  afterEach(async () => {
    await p.cleanup();
  });

  const run = (clone: string, receipt: string, key: string) =>
    spawnSync("bash", ["-c", docsScript()], {
      cwd: clone,
      env: cleanGitEnv({ RECEIPT: receipt, KEY: key }),
      encoding: "utf8",
    });

  it("the documented jq + openssl + git steps accept omk's receipt and reject a tampered one", async () => {
    const { doc } = await p.execRun(p.writerAgent("w", { "b.txt": "ok b\n" }));
    expect(doc.status).toBe("ready");
    const key = join(dir, "omk.pub");
    writeFileSync(key, (await p.omk(["key", "show"])).stdout);
    const receipt = join(dir, "receipt.jsonl");
    copyFileSync(join(p.runDir(doc.runId), RECEIPT), receipt);
    const clone = join(dir, "clone");
    runGit(dir, ["clone", "-q", "--no-local", p.repo.root, clone]);

    const ok = run(clone, receipt, key);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`receipt verifies: ${doc.headCommit}`);

    // The gate's envelope (line 2) with its result flipped: openssl refuses the signature.
    const [first, second] = readFileSync(receipt, "utf8").trimEnd().split("\n");
    const env = JSON.parse(second!) as { payload: string };
    const st = JSON.parse(Buffer.from(env.payload, "base64").toString("utf8"));
    st.predicate.result = "FAILED";
    env.payload = Buffer.from(JSON.stringify(st)).toString("base64");
    writeFileSync(receipt, `${first}\n${JSON.stringify(env)}\n`);
    const bad = run(clone, receipt, key);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).not.toContain("receipt verifies");
    expect(bad.stdout + bad.stderr).toContain("Signature Verification Failure");
    expect(execFileSync("openssl", ["version"], { encoding: "utf8" })).toMatch(/^OpenSSL [3-9]/);
  });
});
