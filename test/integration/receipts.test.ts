import { createHash, createPrivateKey, generateKeyPairSync } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { omk, sandbox } from "../helpers/cli.js";
import { makeTempDir, runGit } from "../helpers/git-repo.js";
import { type Project, project } from "../helpers/project.js";
import { envelopes, RECEIPT, resign, statements } from "../helpers/receipts.js";

interface BundleDoc {
  ok: boolean;
  runId: string | null;
  commit: string | null;
  status: string | null;
  confined: boolean | null;
  checks: { name: string; ok: boolean; detail: string }[];
  key: { keyid: string; fingerprint: string };
}

interface KeyDoc {
  algorithm: string;
  keyid: string;
  fingerprint: string;
  publicKeyPem: string;
  publicKeyFile: string;
  privateKeyFile: string;
  created: boolean;
}

describe("signed receipts", () => {
  let p: Project;
  let outside: string;
  beforeEach(async () => {
    p = await project({ "a.txt": "ok a\n" });
    outside = makeTempDir("omk-reviewer-");
  });
  afterEach(async () => {
    await p.cleanup();
  });

  /** A ready run whose agent also records what it could see: its env and its worktree's files. */
  const readyRun = async () => {
    const agent = p.script(
      "peek",
      `import { readdirSync, writeFileSync } from "node:fs";
writeFileSync("b.txt", "ok b\\n");
writeFileSync("seen.json", JSON.stringify({ env: process.env, files: readdirSync(".", { recursive: true }) }));
`,
    );
    const { doc } = await p.execRun(agent);
    expect(doc.status, doc.reasons.join("; ")).toBe("ready");
    return doc;
  };

  /** The receipt and public key copied out of omk's state, and a fresh clone: all a reviewer has. */
  const handOver = (runId: string) => {
    const bundle = join(outside, "receipt.intoto.jsonl");
    copyFileSync(join(p.runDir(runId), RECEIPT), bundle);
    const clone = join(outside, "clone");
    runGit(outside, ["clone", "-q", "--no-local", p.repo.root, clone]);
    return { bundle, clone };
  };

  /** `omk proof verify --bundle` as a reviewer runs it: in the clone, with empty XDG dirs of its own. */
  const reviewerVerify = async (bundle: string, key: string, clone: string) => {
    const sb = sandbox("omk-reviewer-xdg-");
    try {
      const r = await omk(["proof", "verify", "--bundle", bundle, "--key", key, "--json"], {
        cwd: clone,
        env: sb.env,
      });
      const leftovers = readdirSync(sb.dir);
      return { code: r.code, doc: r.json<BundleDoc>(), stderr: r.stderr, leftovers };
    } finally {
      sb.cleanup();
    }
  };

  const keyShow = async () => {
    const r = await p.omk(["key", "show", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    return r.json<KeyDoc>();
  };

  it("omk key show: PEM on stdout, fingerprint on stderr, a 0600 key made once under the config dir", async () => {
    const first = await p.omk(["key", "show"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);
    expect(first.stderr).toContain("created a new signing key");
    const doc = await keyShow();
    expect(doc).toMatchObject({ algorithm: "ed25519", created: false, publicKeyPem: first.stdout });
    expect(first.stderr).toContain(`ed25519 key ${doc.fingerprint} (keyid sha256:${doc.keyid})`);
    expect(doc.privateKeyFile.startsWith(join(p.sb.dir, "config", "omk", "keys"))).toBe(true);
    expect(statSync(doc.privateKeyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(doc.publicKeyFile, "utf8")).toBe(first.stdout);
    // The same key every time; the state dir holds nothing for it.
    const again = await p.omk(["key", "show"]);
    expect(again.stdout).toBe(first.stdout);
    expect(again.stderr).not.toContain("created");
    expect(p.stateFiles().filter((f) => !f.startsWith(join(p.sb.dir, "config")))).toEqual([]);
  });

  it("a run's receipt verifies in a separate clone with the public key alone, and says what it attests", async () => {
    const run = await readyRun();
    const file = join(p.runDir(run.runId), RECEIPT);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const key = join(outside, "omk.pub");
    writeFileSync(key, (await p.omk(["key", "show"])).stdout);
    const { bundle, clone } = handOver(run.runId);

    const r = await reviewerVerify(bundle, key, clone);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc).toMatchObject({ ok: true, runId: run.runId, commit: run.headCommit, status: "ready" });
    expect(r.doc.confined).toBe(false);
    expect(r.doc.checks.map((c) => [c.name, c.ok])).toEqual([
      ["signature", true],
      ["statements", true],
      ["commit", true],
      ["gates", true],
    ]);
    expect(r.stderr).toMatch(/receipt of run-\S+ verifies/);
    // Nothing of omk's own state was needed or made.
    expect(r.leftovers).toEqual([]);

    // The statements: provenance first, then one Test Result per gate, all about the run's commit and tree.
    const st = statements(file);
    expect(st.map((s) => s.predicateType)).toEqual([
      "https://slsa.dev/provenance/v1",
      "https://in-toto.io/attestation/test-result/v0.1",
    ]);
    const tree = p.repo.git(["rev-parse", `${run.headCommit}^{tree}`]);
    for (const s of st) {
      expect(s._type).toBe("https://in-toto.io/Statement/v1");
      expect(s.subject).toEqual([
        { name: run.branch, digest: { gitCommit: run.headCommit } },
        { name: `${run.branch}^{tree}`, digest: { gitTree: tree } },
      ]);
    }
    expect(st[1]?.predicate).toMatchObject({ result: "PASSED", passedTests: ["txt"], failedTests: [] });
    const params = st[0]?.predicate.buildDefinition?.externalParameters as Record<string, unknown>;
    const gatesBlob = p.repo.git(["rev-parse", `${p.base}:.omk/gates.toml`]);
    expect(params).toMatchObject({
      agent: { adapter: "exec" },
      gates: { file: ".omk/gates.toml", digest: { gitBlob: gatesBlob } },
    });
    // The task only as a digest; the ledger head the receipt vouches for is the proof's own event.
    expect(readFileSync(file, "utf8")).not.toContain(Buffer.from("fix the thing").toString("base64"));
    expect(JSON.stringify(st)).not.toContain("fix the thing");
    const proofWritten = p.ledger(run.runId).find((l) => l.kind === "ProofWritten");
    expect(st[0]?.predicate.runDetails?.byproducts[0]).toMatchObject({
      name: "ledger",
      digest: { sha256: proofWritten?.hash },
    });
  });

  it("a secret in the task reaches the receipt neither as text nor through its digest", async () => {
    // Built from parts so this file itself does not trip a secret scanner.
    const token = ["ghp", "Zx8Qw3Er5Ty7Ui9Op1As2Df4Gh6Jk8Lz0Xccanary"].join("_");
    const { doc } = await p.execRun(p.writerAgent("w", { "b.txt": "ok b\n" }), {
      task: `use the token ${token} to fetch it`,
    });
    expect(doc.status).toBe("ready");
    const file = join(p.runDir(doc.runId), RECEIPT);
    const text = readFileSync(file, "utf8");
    const decoded = JSON.stringify(statements(file));
    expect(text).not.toContain(token);
    expect(decoded).not.toContain(token);
    expect(decoded).not.toContain("fetch it");
    // The digest is of the task as recorded (redacted), so it is no oracle for guessing the secret.
    const recorded = p.proof(doc.runId).task as string;
    expect(recorded).not.toContain(token);
    const params = statements(file)[0]?.predicate.buildDefinition?.externalParameters as
      | { task: { digest: { sha256: string } } }
      | undefined;
    const digest = params?.task.digest.sha256;
    expect(digest).toBe(createHash("sha256").update(recorded).digest("hex"));
    expect(digest).not.toBe(createHash("sha256").update(`use the token ${token} to fetch it`).digest("hex"));
  });

  it("the signing key never reaches the agent: not in its environment, not in its worktree", async () => {
    const run = await readyRun();
    const { privateKeyFile } = await keyShow();
    const privatePem = readFileSync(privateKeyFile, "utf8");
    const seen = p.repo.git(["show", `${run.headCommit}:seen.json`]);
    expect(seen).not.toContain("PRIVATE KEY");
    expect(seen).not.toContain(privatePem.split("\n")[1]);
    expect(seen).not.toContain("receipt-ed25519");
    expect(seen).not.toContain(join(p.sb.dir, "config"));
  });

  it("a flipped byte in the envelope, another key, or a rewritten commit fail verification", async () => {
    const run = await readyRun();
    const key = join(outside, "omk.pub");
    writeFileSync(key, (await p.omk(["key", "show"])).stdout);
    const { bundle, clone } = handOver(run.runId);
    const original = readFileSync(bundle, "utf8");
    const fail = async (file: string, keyFile: string, repo: string, check: string, detail: RegExp) => {
      const r = await reviewerVerify(file, keyFile, repo);
      expect(r.code, r.stderr).toBe(1);
      expect(r.doc.ok).toBe(false);
      const c = r.doc.checks.find((x) => x.name === check);
      expect(c?.ok, JSON.stringify(r.doc.checks)).toBe(false);
      expect(c?.detail).toMatch(detail);
      expect(r.stderr).toContain("does NOT verify");
    };

    // One byte of the payload flipped (a base64 digit inside the statement), then one of the signature.
    const env = envelopes(bundle)[0]!;
    const at = 40;
    const flippedChar = env.payload[at] === "A" ? "B" : "A";
    const flipped = { ...env, payload: env.payload.slice(0, at) + flippedChar + env.payload.slice(at + 1) };
    writeFileSync(bundle, original.replace(JSON.stringify(env), JSON.stringify(flipped)));
    await fail(bundle, key, clone, "signature", /line 1: no signature verifies/);
    const sig = Buffer.from(env.signatures[0]!.sig, "base64");
    sig[0] = (sig[0] ?? 0) ^ 0x01;
    const badSig = { ...env, signatures: [{ ...env.signatures[0], sig: sig.toString("base64") }] };
    writeFileSync(bundle, original.replace(JSON.stringify(env), JSON.stringify(badSig)));
    await fail(bundle, key, clone, "signature", /no signature verifies/);
    // The gate's statement (line 2) tampered too, while line 1 is intact.
    const lines = original.trimEnd().split("\n");
    const gate = JSON.parse(lines[1]!) as { payload: string };
    const payload = JSON.parse(Buffer.from(gate.payload, "base64").toString("utf8"));
    payload.predicate.result = "PASSED";
    payload.predicate.passedTests = ["txt", "extra"];
    gate.payload = Buffer.from(JSON.stringify(payload)).toString("base64");
    writeFileSync(bundle, `${lines[0]}\n${JSON.stringify(gate)}\n`);
    await fail(bundle, key, clone, "signature", /line 2: no signature verifies/);
    writeFileSync(bundle, original);

    // Another key.
    const other = join(outside, "other.pub");
    writeFileSync(other, generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }));
    await fail(bundle, other, clone, "signature", /no signature verifies with the given key/);

    // The run's commit rewritten (amended) in the repository the reviewer has: the attested commit is gone.
    runGit(clone, ["checkout", "-q", "-b", "rewritten", `origin/${run.branch}`]);
    runGit(clone, [
      "-c",
      "user.name=x",
      "-c",
      "user.email=x@x.invalid",
      "commit",
      "-q",
      "--amend",
      "-m",
      "rewritten",
    ]);
    runGit(clone, ["update-ref", "-d", `refs/remotes/origin/${run.branch}`]);
    runGit(clone, ["reflog", "expire", "--expire=now", "--all"]);
    runGit(clone, ["gc", "-q", "--prune=now"]);
    expect(() => runGit(clone, ["cat-file", "-e", `${run.headCommit}^{commit}`])).toThrow();
    await fail(bundle, key, clone, "commit", /is not in the repository/);
  });

  it("a receipt naming another gates.toml than the base commit's fails, even when properly signed", async () => {
    const run = await readyRun();
    const { privateKeyFile, publicKeyFile } = await keyShow();
    const bundle = join(outside, "r.jsonl");
    copyFileSync(join(p.runDir(run.runId), RECEIPT), bundle);
    // The signer itself lying about the judge (or a receipt of another repository's run).
    resign(bundle, createPrivateKey(readFileSync(privateKeyFile)), (st) => {
      const params = st.predicate.buildDefinition?.externalParameters as
        | { gates: { digest: { sha256: string } } }
        | undefined;
      if (params) params.gates.digest.sha256 = "0".repeat(64);
      return st;
    });
    const r = await reviewerVerify(bundle, publicKeyFile, p.repo.root);
    expect(r.code, r.stderr).toBe(1);
    expect(r.doc.checks.map((c) => [c.name, c.ok])).toEqual([
      ["signature", true],
      ["statements", true],
      ["commit", true],
      ["gates", false],
    ]);
    expect(r.doc.checks[3]?.detail).toMatch(
      /names sha256 000000000000 for \.omk\/gates\.toml; the base commit [0-9a-f]{12} has sha256 [0-9a-f]{12}/,
    );
  });

  it("omk proof verify <run> checks the run's receipt with the local key against the ledger", async () => {
    const run = await readyRun();
    const ok = await p.proofVerify(run.runId, ["--no-gates"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.doc.checks.find((c) => c.name === "receipt")).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^2 statement\(s\) signed by key [0-9a-f]{16}, unconfined run$/),
    });
    const file = join(p.runDir(run.runId), RECEIPT);
    const original = readFileSync(file);
    // Re-signed by another key; then signed by the right key but claiming a confined run.
    resign(file, generateKeyPairSync("ed25519").privateKey);
    const other = await p.proofVerify(run.runId, ["--no-gates"]);
    expect(other.code).toBe(1);
    expect(other.doc.checks.find((c) => c.name === "receipt")?.detail).toMatch(/no signature verifies/);
    writeFileSync(file, original);
    const { privateKeyFile } = await keyShow();
    resign(file, createPrivateKey(readFileSync(privateKeyFile)), (st) => {
      const conf = st.predicate.runDetails?.byproducts.find((b) => b.name === "confinement");
      for (const a of (conf?.annotations?.attempts ?? []) as { mode: string }[]) a.mode = "bwrap";
      return st;
    });
    const lying = await p.proofVerify(run.runId, ["--no-gates"]);
    expect(lying.code).toBe(1);
    expect(lying.doc.checks.find((c) => c.name === "receipt")?.detail).toBe(
      "its confinement differs from the ledger's",
    );
    rmSync(file);
    const gone = await p.proofVerify(run.runId, ["--no-gates"]);
    expect(gone.doc.checks.find((c) => c.name === "receipt")).toMatchObject({ ok: false });
    // A crash between the proof and the receipt: resume writes it, byte for byte what it would have been.
    const resumed = await p.omk(["run", "resume", run.runId]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(file)).toEqual(original);
    expect((await p.proofVerify(run.runId, ["--no-gates"])).code).toBe(0);
  });

  it("--bundle needs --key; a run and --bundle together is a usage error; a bad key file is named", async () => {
    const run = await readyRun();
    const file = join(p.runDir(run.runId), RECEIPT);
    const noKey = await p.omk(["proof", "verify", "--bundle", file]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/--bundle and --key go together/);
    const both = await p.omk(["proof", "verify", run.runId, "--bundle", file, "--key", file]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either a run or --bundle, not both/);
    const badKey = await p.omk(["proof", "verify", "--bundle", file, "--key", file]);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toMatch(/holds no PEM public key/);
    expect(existsSync(file)).toBe(true);
  });
});
