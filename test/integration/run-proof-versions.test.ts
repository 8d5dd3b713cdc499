import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { omk, type RunDoc, sandbox } from "../helpers/cli.js";
import { gatesToml } from "../helpers/gates.js";
import { makeRepo, type TestRepo } from "../helpers/git-repo.js";

const FAKE_KIMI = new URL("../fixtures/fake-kimi/kimi", import.meta.url).pathname;
const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;
const GATE = `import { readFileSync } from "node:fs";
if (readFileSync("answer.txt", "utf8").trim() !== "42") process.exit(1);
`;

describe("what a proof says about the agent and omk", () => {
  let repo: TestRepo;
  let sb: ReturnType<typeof sandbox>;
  beforeEach(async () => {
    sb = sandbox("omk-ver-");
    repo = await makeRepo({
      "answer.txt": "0\n",
      "gate.mjs": GATE,
      ".omk/gates.toml": gatesToml([{ name: "answer", args: ["gate.mjs"] }]),
    });
  });
  afterEach(async () => {
    sb.cleanup();
    await repo.cleanup();
  });

  it("a kimi run's proof names the version the agent reported, and omk's own (one source)", async () => {
    const scenario = join(sb.dir, "scenario.json");
    writeFileSync(
      scenario,
      JSON.stringify({ turns: [{ steps: [{ write: { path: "answer.txt", content: "42\n" } }] }] }),
    );
    // Not through npm: npm_package_version must not be where omk's version comes from.
    const env = { ...sb.env, OMK_FAKE_KIMI_SCENARIO: scenario, npm_package_version: "9.9.9-wrong" };
    const r = await omk(["run", "--json", "--agent", "kimi", "--agent-bin", FAKE_KIMI, "answer"], {
      cwd: repo.root,
      env,
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<RunDoc>();
    const proof = JSON.parse(readFileSync(doc.proofPath ?? "", "utf8")) as {
      agent: { adapter: string; version: string | null };
      omk: { version: string };
    };
    // test/fixtures/fake-kimi answers initialize with server.version "0.0.0-fake".
    expect(proof.agent).toMatchObject({ adapter: "kimi", version: "0.0.0-fake" });
    expect(proof.omk.version).toBe(PACKAGE_VERSION);
    const started = JSON.parse(
      readFileSync(join(doc.proofPath ?? "", "..", "events.jsonl"), "utf8").split("\n")[0] ?? "{}",
    ) as {
      data: { omkVersion: string };
    };
    expect(started.data.omkVersion).toBe(PACKAGE_VERSION);
    const version = await omk(["--version"], { cwd: repo.root, env });
    expect(version.stdout.trim()).toBe(PACKAGE_VERSION);
  });
});
