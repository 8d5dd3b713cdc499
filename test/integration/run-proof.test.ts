import { createHash } from "node:crypto";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunDoc } from "../helpers/cli.js";
import { gatesToml } from "../helpers/gates.js";
import { checkOf, ledgerLines, type Project, project } from "../helpers/project.js";

const BASE_FILES = { "README.md": "base\n", "old.txt": "ok old\n" };
const BLOB = Uint8Array.from({ length: 256 }, (_, i) => i);
/** git's object id of BLOB, computed here rather than by git. */
const BLOB_ID = createHash("sha1")
  .update(Buffer.concat([Buffer.from(`blob ${BLOB.length}\0`), BLOB]))
  .digest("hex");

/** Attempt 1 writes a bad .txt (gate fails); attempt 2 fixes it, adds a nested and a binary file, deletes one. */
function twoAttemptAgent(p: Project): string {
  return p.script(
    "two-attempts",
    `import { mkdirSync, rmSync, writeFileSync } from "node:fs";
const first = process.env.OMK_ATTEMPT === "1";
writeFileSync("a.txt", first ? "bad\\n" : "ok fixed\\n");
if (!first) {
  mkdirSync("notes/deep", { recursive: true });
  writeFileSync("notes/deep/n.md", "# nested\\n");
  writeFileSync("blob.bin", Uint8Array.from({ length: 256 }, (_, i) => i));
  rmSync("old.txt");
}
`,
  );
}

const CHECKS = ["ledger", "integrity", "proof", "artifacts", "branch", "commit", "receipt", "gates"];

describe("proofs: show, verify, tamper evidence, export and replay", () => {
  let p: Project;
  let run: RunDoc;
  let dir: string;
  // One run shared by the tests below: each restores whatever it tampers with.
  beforeAll(async () => {
    p = await project(BASE_FILES);
    ({ doc: run } = await p.execRun(twoAttemptAgent(p), { task: "fix a.txt and tidy up" }));
    expect([run.status, run.attempts]).toEqual(["ready", 2]);
    dir = p.runDir(run.runId);
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it("proof show prints markdown and JSON that match proof.json", async () => {
    const onDisk = JSON.parse(readFileSync(join(dir, "proof.json"), "utf8"));
    expect(onDisk).toMatchObject({ schema: "omk.proof/v1", runId: run.runId, status: "ready" });
    const md = await p.omk(["proof", "show", run.runId]);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^# omk proof — ready/);
    expect(md.stdout).toContain(run.runId);
    expect(md.stdout).toMatch(/`txt` pass/);
    expect(md.stdout).toMatch(/1: agent finished, gates_failed/);
    expect(md.stdout).toMatch(/2: agent finished, passed/);
    expect(md.stdout).toContain(`omk proof verify ${run.runId}`);
    const json = await p.omk(["proof", "show", run.runId, "--format", "json"]);
    expect(json.code).toBe(0);
    expect(json.json()).toEqual(onDisk);
    expect(onDisk.headCommit).toBe(run.headCommit);
    expect(onDisk.ledger).toMatchObject({ events: ledgerLines(dir).length - 1 });
    expect(
      onDisk.diff.files.map((f: { path: string; status: string }) => `${f.status} ${f.path}`).sort(),
    ).toEqual(["A a.txt", "A blob.bin", "A notes/deep/n.md", "D old.txt"]);
  });

  it("proof verify is ok on a clean run and names the check each kind of tampering breaks", async () => {
    const clean = await p.proofVerify(run.runId);
    expect(clean.code, JSON.stringify(clean.doc.checks)).toBe(0);
    expect(clean.doc).toMatchObject({ ok: true, runId: run.runId, status: "ready" });
    expect(clean.doc.checks.map((c) => [c.name, c.ok])).toEqual(CHECKS.map((c) => [c, true]));

    /** With a change applied: `failing` fails, naming `detail`; then the change is undone. */
    const tampered = async (failing: string, detail: RegExp, undo: () => void, gates = false) => {
      try {
        const v = await p.proofVerify(run.runId, gates ? [] : ["--no-gates"]);
        expect(v.code).toBe(1);
        expect(v.doc.ok).toBe(false);
        expect(checkOf(v.doc, failing)).toMatchObject({ ok: false, detail: expect.stringMatching(detail) });
        expect(v.stderr).toMatch(new RegExp(`FAIL ${failing}`));
        return v.doc;
      } finally {
        undo();
      }
    };
    const ok = (doc: { checks: { name: string; ok: boolean }[] }, names: string[]) => {
      for (const n of names) expect(checkOf(doc as never, n).ok, n).toBe(true);
    };

    // One byte of the ledger flipped (a letter of the task in RunStarted).
    const events = join(dir, "events.jsonl");
    const original = readFileSync(events);
    const at = original.indexOf("fix a.txt");
    expect(at).toBeGreaterThan(0);
    const flipped = Buffer.from(original);
    flipped[at] = flipped[at]! ^ 0x01;
    writeFileSync(events, flipped);
    const ledgerDoc = await tampered("ledger", /seq 1/, () => writeFileSync(events, original));
    ok(ledgerDoc, ["artifacts", "branch"]);

    // A recorded patch altered after the fact.
    const patch = join(dir, "artifacts", "attempt-2.patch");
    const patchBytes = readFileSync(patch);
    appendFileSync(patch, "\n");
    ok(
      await tampered("artifacts", /attempt-2\.patch: sha256 mismatch/, () =>
        writeFileSync(patch, patchBytes),
      ),
      ["ledger", "proof", "branch"],
    );

    // proof.json edited (the status claim itself untouched, a reason rewritten).
    const proofFile = join(dir, "proof.json");
    const proofBytes = readFileSync(proofFile);
    const proof = JSON.parse(proofBytes.toString("utf8"));
    proof.reasons = ["all good, trust me"];
    writeFileSync(proofFile, JSON.stringify(proof, null, 2));
    ok(
      await tampered("proof", /sha256 differs|differs from the proof rebuilt/, () =>
        writeFileSync(proofFile, proofBytes),
      ),
      ["ledger", "artifacts", "branch"],
    );

    // The run branch moved on (a commit made in the run's worktree after the run).
    p.repo.git(["commit", "-q", "--allow-empty", "-m", "sneaky"], run.worktree);
    ok(
      await tampered(
        "branch",
        new RegExp(`${run.branch} is at [0-9a-f]{12}, proof says ${run.headCommit!.slice(0, 12)}`),
        () => p.repo.git(["reset", "-q", "--hard", run.headCommit!], run.worktree),
      ),
      ["ledger", "proof", "artifacts"],
    );

    // The project's gate changed since: verify re-runs the RECORDED argv on the recorded tree (which
    // still passes) and says separately that today's gates.toml defines the gate differently.
    const gatesFile = join(p.repo.root, ".omk", "gates.toml");
    const gatesBytes = readFileSync(gatesFile);
    writeFileSync(gatesFile, gatesToml([{ name: "txt", args: ["-e", "process.exit(4)"] }]));
    try {
      const v = await p.proofVerify(run.runId);
      expect(v.code, JSON.stringify(v.doc.checks)).toBe(0);
      expect(checkOf(v.doc, "gates").detail).toMatch(
        /recorded argv agree.*today's \.omk\/gates\.toml differs: txt is now/,
      );
    } finally {
      writeFileSync(gatesFile, gatesBytes);
    }

    // Everything restored: the proof verifies again.
    expect((await p.proofVerify(run.runId)).code).toBe(0);
  });

  it("export → replay on a fresh repo with the same base reproduces the same tree; replay:<run-id> too", async () => {
    const rec = join(p.sb.dir, "rec.json");
    const exp = await p.omk(["run", "export", run.runId, "-o", rec, "--json"]);
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.json()).toMatchObject({ ok: true, runId: run.runId, file: rec, attempts: 2 });
    const recording = JSON.parse(readFileSync(rec, "utf8"));
    expect(recording).toMatchObject({ schema: "omk.recording/v1", source: { runId: run.runId } });
    expect(recording.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2]);

    const tree = (q: Project, rev: string) => q.repo.git(["rev-parse", `${rev}^{tree}`]);
    const expected = tree(p, run.headCommit!);
    const fresh = await project(BASE_FILES);
    try {
      expect(tree(fresh, "HEAD")).toBe(tree(p, run.baseCommit));
      const r = await fresh.omk(["run", "--agent", `replay:${rec}`, "--json", "fix a.txt and tidy up"]);
      expect(r.code, r.stderr).toBe(0);
      const doc = r.json<RunDoc>();
      expect([doc.status, doc.attempts]).toEqual(["ready", 2]);
      expect(tree(fresh, doc.headCommit!)).toBe(expected);
      expect(fresh.repo.git(["rev-parse", `${doc.headCommit}:blob.bin`])).toBe(BLOB_ID);
      const outcomes = fresh
        .ledger(doc.runId)
        .filter((l) => l.kind === "AttemptFinished")
        .map((l) => l.data["outcome"]);
      expect(outcomes).toEqual(["gates_failed", "passed"]);
      const v = await fresh.proofVerify(doc.runId);
      expect(v.code, JSON.stringify(v.doc.checks)).toBe(0);
    } finally {
      await fresh.cleanup();
    }

    const byId = await p.omk(["run", "--agent", `replay:${run.runId}`, "--json", "same task, by run id"]);
    expect(byId.code, byId.stderr).toBe(0);
    const doc = byId.json<RunDoc>();
    expect(doc.runId).not.toBe(run.runId);
    expect([doc.status, doc.attempts]).toEqual(["ready", 2]);
    expect(tree(p, doc.headCommit!)).toBe(expected);
    expect(doc.baseCommit).toBe(run.baseCommit);
  });
});
