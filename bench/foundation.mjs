// Foundation benchmarks (issue 3): every figure is a ratio against a baseline measured in the same run.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lintSource } from "@secretlint/core";
import { creator as recommended } from "@secretlint/secretlint-rule-preset-recommend";
import { execa } from "execa";
import { makeCorpus } from "./corpus.mjs";
import { median, timeIt, writeResults } from "./util.mjs";

const dist = new URL("../dist/", import.meta.url);
const { Ledger } = await import(new URL("store/ledger/writer.js", dist).href);
const { verifyLedger } = await import(new URL("store/ledger/read.js", dist).href);
const { redactText } = await import(new URL("security/redact.js", dist).href);
const { runProcess } = await import(new URL("proc/run-process.js", dist).href);
const quick = process.env.OMK_BENCH_QUICK === "1";

export async function benchFoundation() {
  const results = {};
  const omk = new URL("cli/main.js", dist).pathname;

  // 1. Cold start: `omk --version` vs `node -e 0`, alternating so machine noise hits both.
  const runs = quick ? 5 : 15;
  const omkT = [];
  const nodeT = [];
  for (let i = 0; i < runs; i++) {
    omkT.push(timeIt(() => spawnSync(process.execPath, [omk, "--version"], { stdio: "ignore" })));
    nodeT.push(timeIt(() => spawnSync(process.execPath, ["-e", "0"], { stdio: "ignore" })));
  }
  results.coldStart = {
    omkMs: median(omkT),
    nodeMs: median(nodeT),
    ratio: median(omkT) / median(nodeT),
    target: "<= 2.0",
  };
  log(
    `cold start: omk --version ${results.coldStart.omkMs.toFixed(1)} ms, node -e 0 ${results.coldStart.nodeMs.toFixed(1)} ms → ${results.coldStart.ratio.toFixed(2)}×`,
  );

  // 1b. One child process: omk's spawn path (runProcess: sanitized env, own process group, captured
  // and redacted output) ÷ execa with the options omk used before it replaced execa, doing the same
  // `git --version`. CPU of this process per call: the parent's share of every git call omk makes.
  results.spawn = await benchSpawn(quick ? 30 : 120);
  log(
    `spawn: omk runProcess ${results.spawn.omkCpuMs.toFixed(2)} ms CPU/call (${results.spawn.omkWallMs.toFixed(2)} ms wall) vs execa ${results.spawn.execaCpuMs.toFixed(2)} ms CPU/call (${results.spawn.execaWallMs.toFixed(2)} ms wall) → CPU ${results.spawn.cpuRatio.toFixed(2)}×`,
  );

  // 2. Ledger append throughput with group commit; baseline: the same ledger awaited one event at a time.
  const dir = mkdtempSync(join(tmpdir(), "omk-bench-ledger-"));
  try {
    const n = quick ? 5_000 : 50_000;
    const ledger = await Ledger.open(join(dir, "grouped"), { runId: "run-bench" });
    const t0 = performance.now();
    const batch = [];
    for (let i = 0; i < n; i++) {
      batch.push(
        ledger.append({
          kind: "AgentEvent",
          data: { i, text: "the agent said something moderately long here" },
        }),
      );
      if (batch.length === 1000) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
    const groupedMs = performance.now() - t0;
    await ledger.close();
    const serialN = quick ? 300 : 1000;
    const serial = await Ledger.open(join(dir, "serial"), { runId: "run-bench" });
    const t1 = performance.now();
    for (let i = 0; i < serialN; i++)
      await serial.append({
        kind: "AgentEvent",
        data: { i, text: "the agent said something moderately long here" },
      });
    const serialMs = performance.now() - t1;
    await serial.close();
    const grouped = n / (groupedMs / 1000);
    const oneByOne = serialN / (serialMs / 1000);
    results.ledgerAppend = {
      eventsPerSec: Math.round(grouped),
      oneAtATimeEventsPerSec: Math.round(oneByOne),
      ratio: grouped / oneByOne,
      target: ">= 50000 events/s",
    };
    log(
      `ledger append: ${Math.round(grouped).toLocaleString()} events/s grouped, ${Math.round(oneByOne).toLocaleString()} events/s one at a time (${(grouped / oneByOne).toFixed(1)}×)`,
    );

    // 3. Verify MB/s vs sha256sum on the same file.
    const big = join(dir, "big");
    const bl = await Ledger.open(big, { runId: "run-bench" });
    const payload = "x".repeat(900);
    const targetBytes = quick ? 8 * 2 ** 20 : 48 * 2 ** 20;
    let written = 0;
    while (written < targetBytes) {
      const b = [];
      for (let i = 0; i < 1000; i++) b.push(bl.append({ kind: "AgentEvent", data: { payload } }));
      await Promise.all(b);
      written = statSync(join(big, "events.jsonl")).size;
    }
    await bl.close();
    const file = join(big, "events.jsonl");
    const mb = statSync(file).size / 2 ** 20;
    const vT = [];
    const sT = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const v = await verifyLedger(big);
      vT.push(performance.now() - t);
      if (!v.ok) throw new Error("bench ledger does not verify");
      sT.push(timeIt(() => spawnSync("sha256sum", [file], { stdio: "ignore" })));
    }
    const verifyMBs = mb / (median(vT) / 1000);
    const shaMBs = mb / (median(sT) / 1000);
    results.ledgerVerify = {
      fileMB: +mb.toFixed(1),
      verifyMBps: +verifyMBs.toFixed(1),
      sha256sumMBps: +shaMBs.toFixed(1),
      ratio: verifyMBs / shaMBs,
      target: ">= 0.25",
    };
    log(
      `ledger verify: ${verifyMBs.toFixed(0)} MB/s vs sha256sum ${shaMBs.toFixed(0)} MB/s on ${mb.toFixed(0)} MB → ${(verifyMBs / shaMBs).toFixed(2)}×`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // 4. Redactor vs secretlint (preset-recommend) on the same mixed corpus, cut into files two ways:
  //    1 MiB files (bulk text) and 16 KiB files (typical changed source files).
  const totalMB = quick ? 5 : 50;
  const { text, planted } = makeCorpus(totalMB * 2 ** 20);
  const config = { rules: [{ id: "@secretlint/secretlint-rule-preset-recommend", rule: recommended }] };
  const mbAll = text.length / 2 ** 20;
  results.redactor = { corpusMB: +mbAll.toFixed(1), planted, target: ">= 10" };
  for (const [label, size] of [
    ["files1MiB", 2 ** 20],
    ["files16KiB", 16 * 2 ** 10],
  ]) {
    const chunks = splitAtLines(text, size);
    const tR = performance.now();
    let redacted = 0;
    for (const c of chunks) redacted += (redactText(c).match(/\[REDACTED\]/g) ?? []).length;
    const redactMs = performance.now() - tR;
    const tS = performance.now();
    let found = 0;
    for (const [i, c] of chunks.entries()) {
      const r = await lintSource({
        source: { filePath: `/corpus/${i}.txt`, content: c, contentType: "text" },
        options: { config },
      });
      found += r.messages.length;
    }
    const lintMs = performance.now() - tS;
    const row = {
      files: chunks.length,
      redactions: redacted,
      secretlintFindings: found,
      redactorMBps: +(mbAll / (redactMs / 1000)).toFixed(1),
      secretlintMBps: +(mbAll / (lintMs / 1000)).toFixed(1),
      ratio: lintMs / redactMs,
    };
    results.redactor[label] = row;
    log(
      `redactor (${chunks.length} files): ${row.redactorMBps} MB/s vs secretlint ${row.secretlintMBps} MB/s on ${mbAll.toFixed(0)} MB → ${row.ratio.toFixed(1)}× (planted ${planted}, redacted ${redacted}, secretlint found ${found})`,
    );
  }
  writeResults("foundation", results);
  return results;
}

export async function benchSpawn(calls) {
  const argv = ["git", "--version"];
  const omkCall = async () => {
    const r = await runProcess(argv, { cwd: process.cwd(), parentEnv: process.env });
    if (r.exitCode !== 0) throw new Error(`git --version failed: ${r.stderr}`);
  };
  const execaCall = async () => {
    const r = await execa(argv[0], argv.slice(1), {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? "" },
      extendEnv: false,
      preferLocal: false,
      shell: false,
      detached: true,
      cleanup: false,
      reject: false,
      encoding: "buffer",
      stripFinalNewline: false,
    });
    if (r.exitCode !== 0) throw new Error("git --version failed");
  };
  const measure = async (f) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) await f();
    const c = process.cpuUsage(c0);
    return { cpu: (c.user + c.system) / 1000 / 10, wall: (performance.now() - t0) / 10 };
  };
  await measure(omkCall);
  await measure(execaCall);
  const omk = [];
  const ex = [];
  // Alternating rounds of ten, so machine noise hits both.
  for (let i = 0; i < calls / 10; i++) {
    omk.push(await measure(omkCall));
    ex.push(await measure(execaCall));
  }
  const omkCpuMs = median(omk.map((m) => m.cpu));
  const execaCpuMs = median(ex.map((m) => m.cpu));
  return {
    calls,
    omkCpuMs,
    execaCpuMs,
    omkWallMs: median(omk.map((m) => m.wall)),
    execaWallMs: median(ex.map((m) => m.wall)),
    cpuRatio: omkCpuMs / execaCpuMs,
    target: "< 1 (omk's own spawn path beats the library it replaced)",
  };
}

function splitAtLines(text, size) {
  const chunks = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf("\n", start + size);
    const end = nl === -1 ? text.length : nl + 1;
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}

function log(s) {
  process.stderr.write(`  ${s}\n`);
}

export function sha256File(p) {
  return createHash("sha256").update(readFileSync(p)).digest("hex");
}
