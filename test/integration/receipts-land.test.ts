import { generateKeyPairSync } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunDoc } from "../helpers/cli.js";
import { type Project, project } from "../helpers/project.js";
import { RECEIPT, recordConfined, resign } from "../helpers/receipts.js";

interface LandDoc {
  ok: boolean;
  commit?: string;
  regated?: boolean;
  trust?: string;
  receipt?: { keyid?: string; refused?: string } | null;
  error?: { code: string; message: string };
}

describe("omk land on a signed receipt", () => {
  let p: Project;
  let gateLog: string;
  let failFlag: string;
  beforeEach(async () => {
    p = await project({ "a.txt": "ok a\n" }, { gates: [{ name: "check", args: ["gate.mjs"] }] });
    gateLog = join(p.sb.dir, "gate.log");
    failFlag = join(p.sb.dir, "fail-now");
    // Logs every run; fails while the flag file exists (what a change that only looked green would do).
    p.repo.write({
      "gate.mjs": `import { appendFileSync, existsSync } from "node:fs";
appendFileSync(${JSON.stringify(gateLog)}, process.cwd() + "\\n");
if (existsSync(${JSON.stringify(failFlag)})) { console.error("failing now"); process.exit(1); }
`,
    });
    p.repo.commitAll("gate that logs");
  });
  afterEach(async () => {
    await p.cleanup();
  });

  const gateRuns = () =>
    existsSync(gateLog) ? readFileSync(gateLog, "utf8").split("\n").filter(Boolean).length : 0;
  const readyRun = async (file: string): Promise<RunDoc> => {
    const { doc } = await p.execRun(p.writerAgent(`agent-${file}`, { [file]: "ok\n" }), {
      task: `add ${file}`,
    });
    expect(doc.status, doc.reasons.join("; ")).toBe("ready");
    return doc;
  };
  const land = async (runId: string) => {
    const r = await p.omk(["land", runId, "--json"]);
    return { code: r.code, doc: r.json<LandDoc>(), stderr: r.stderr };
  };
  const landed = (runId: string) =>
    p
      .ledger(runId)
      .filter((l) => l.kind === "Landed")
      .map((l) => l.data);
  const head = () => p.repo.git(["rev-parse", "HEAD"]);

  it("an unconfined run re-runs the gates, and says why the receipt was not enough", async () => {
    const run = await readyRun("b.txt");
    expect(existsSync(join(p.runDir(run.runId), RECEIPT))).toBe(true);
    const before = gateRuns();
    const r = await land(run.runId);
    expect(r.code, r.stderr).toBe(0);
    expect(gateRuns()).toBe(before + 1);
    expect(r.doc).toMatchObject({ ok: true, regated: true, trust: "regate" });
    expect(r.doc.receipt?.refused).toMatch(/attempt 1 ran unconfined \(--sandbox off\)/);
    expect(r.stderr).toMatch(/re-running the gates on \w+ before landing \(attempt 1 ran unconfined/);
    expect(r.stderr).toContain("(fast-forward, gates re-run)");
    expect(landed(run.runId)).toEqual([
      expect.objectContaining({
        regated: true,
        trust: "regate",
        receipt: { refused: r.doc.receipt?.refused },
      }),
    ]);
  });

  it("a confined run whose receipt verifies with this machine's key lands without re-running the gates", async () => {
    const run = await readyRun("b.txt");
    await recordConfined(p, run.runId);
    // The re-finalized run is a consistent one: its proof and ledger verify.
    const v = await p.proofVerify(run.runId, ["--no-gates"]);
    expect(v.code, JSON.stringify(v.doc.checks)).toBe(0);
    const keyid = (await p.omk(["key", "show", "--json"])).json<{ keyid: string }>().keyid;

    const before = gateRuns();
    const r = await land(run.runId);
    expect(r.code, r.stderr).toBe(0);
    expect(gateRuns()).toBe(before);
    expect(head()).toBe(run.headCommit);
    expect(r.doc).toMatchObject({ ok: true, regated: false, trust: "receipt", receipt: { keyid } });
    expect(r.stderr).toContain(
      `signed receipt of a confined run verifies (key ${keyid.slice(0, 16)}): gates not re-run`,
    );
    expect(r.stderr).toContain("(fast-forward, on the signed receipt of a confined run)");
    expect(landed(run.runId)).toEqual([
      expect.objectContaining({
        commit: run.headCommit,
        regated: false,
        trust: "receipt",
        receipt: { keyid },
      }),
    ]);
  });

  it("a run made under --sandbox required lands on its own receipt", async () => {
    // A confined gate cannot reach this test's log under /tmp (the sandbox has a private /tmp): a
    // plain gate, and the ledger's Landed says which way the land went.
    p.repo.write({ "gate.mjs": "process.exit(0);\n" });
    p.repo.commitAll("plain gate");
    const { doc } = await p.execRun(p.writerAgent("agent-c", { "c.txt": "ok\n" }), {
      task: "add c.txt",
      args: ["--sandbox", "required"],
    });
    expect(doc.status, doc.reasons.join("; ")).toBe("ready");
    const conf = p.ledger(doc.runId).filter((l) => l.kind === "Confinement");
    expect(conf.map((l) => l.data["mode"])).toEqual(["bwrap"]);
    const r = await land(doc.runId);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc).toMatchObject({ ok: true, regated: false, trust: "receipt" });
    expect(head()).toBe(doc.headCommit);
    expect(landed(doc.runId)).toEqual([expect.objectContaining({ regated: false, trust: "receipt" })]);
  });

  it("--no-receipt re-runs the gates even on a receipt that would do", async () => {
    const run = await readyRun("b.txt");
    await recordConfined(p, run.runId);
    const before = gateRuns();
    const r = await p.omk(["land", run.runId, "--json", "--no-receipt"]);
    expect(r.code, r.stderr).toBe(0);
    expect(gateRuns()).toBe(before + 1);
    expect(r.json<LandDoc>()).toMatchObject({
      regated: true,
      trust: "regate",
      receipt: { refused: "--no-receipt" },
    });
  });

  it("a receipt signed by another key is not trusted: the gates re-run, and a failing one refuses the land", async () => {
    const run = await readyRun("b.txt");
    await recordConfined(p, run.runId);
    resign(join(p.runDir(run.runId), RECEIPT), generateKeyPairSync("ed25519").privateKey);
    const mainHead = head();

    writeFileSync(failFlag, "");
    const before = gateRuns();
    const refused = await land(run.runId);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.doc.error?.code).toBe("LAND_REFUSED");
    expect(refused.doc.error?.message).toMatch(/gates fail on the run's commit: check \(fail\)/);
    expect(refused.stderr).toMatch(/does not verify with this machine's key: line 1: no signature verifies/);
    expect(gateRuns()).toBe(before + 1);
    expect(head()).toBe(mainHead);
    expect(landed(run.runId)).toEqual([]);

    rmSync(failFlag);
    const r = await land(run.runId);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc).toMatchObject({ regated: true, trust: "regate" });
    expect(landed(run.runId)[0]).toMatchObject({
      trust: "regate",
      receipt: { refused: expect.stringMatching(/this machine's key/) },
    });
  });

  it("a genuine receipt of another run (naming another commit) is not trusted", async () => {
    const a = await readyRun("b.txt");
    await recordConfined(p, a.runId);
    const other = await readyRun("c.txt");
    await recordConfined(p, other.runId);
    copyFileSync(join(p.runDir(other.runId), RECEIPT), join(p.runDir(a.runId), RECEIPT));

    writeFileSync(failFlag, "");
    const refused = await land(a.runId);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.doc.error?.code).toBe("LAND_REFUSED");
    expect(refused.stderr).toContain(
      `the receipt names commit ${other.headCommit?.slice(0, 12)}, not ${a.headCommit?.slice(0, 12)}`,
    );
    rmSync(failFlag);
    const r = await land(a.runId);
    expect(r.doc).toMatchObject({ ok: true, trust: "regate" });
  });

  it("a receipt signed by the local key that claims confinement the ledger does not record is not enough", async () => {
    const run = await readyRun("b.txt");
    // The ledger says attempt 1 ran unconfined; the receipt (re-signed with the real key) claims otherwise.
    await recordConfined(p, run.runId, "none");
    const { privateKeyFile } = (await p.omk(["key", "show", "--json"])).json<{ privateKeyFile: string }>();
    const { createPrivateKey } = await import("node:crypto");
    resign(join(p.runDir(run.runId), RECEIPT), createPrivateKey(readFileSync(privateKeyFile)), (st) => {
      const conf = st.predicate.runDetails?.byproducts.find((b) => b.name === "confinement");
      if (conf?.annotations) {
        conf.annotations.confined = true;
        for (const a of conf.annotations.attempts as { mode: string }[]) a.mode = "bwrap";
      }
      return st;
    });
    const before = gateRuns();
    const r = await land(run.runId);
    expect(r.code, r.stderr).toBe(0);
    expect(gateRuns()).toBe(before + 1);
    expect(r.doc.receipt?.refused).toMatch(/attempt 1 ran unconfined/);
  });
});
