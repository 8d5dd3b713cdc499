// Secret-scan benchmarks (issue "The proof binds what lands", items 5, 7, 8). Every figure is a ratio
// against a baseline measured in the same run:
//  (a) omk's redactor and change scan vs secretlint (preset-recommend) on real source files read from
//      node_modules at run time, with secrets of many kinds planted: recall per kind, findings on the
//      clean files, throughput ratio;
//  (b) a change of 5,000 files: omk's change checks (symlink check + scan of every file) ÷ reading and
//      grepping the same files.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { lintSource } from "@secretlint/core";
import { secretLintProfiler } from "@secretlint/profiler";
import { creator as recommended } from "@secretlint/secretlint-rule-preset-recommend";
import { KINDS } from "./planted.mjs";
import { collectGarbage, median, picker, rng, writeResults } from "./util.mjs";

const dist = new URL("../dist/", import.meta.url);
const { redactText } = await import(new URL("security/redact.js", dist).href);
const { scanContent, scanFiles } = await import(new URL("security/secret-scan.js", dist).href);
const { symlinkLeavesRoot } = await import(new URL("security/symlinks.js", dist).href);
const quick = process.env.OMK_BENCH_QUICK === "1";

const NODE_MODULES = new URL("../node_modules/", import.meta.url).pathname;
/** Well-known packages whose published files make the clean corpus (none is a secret scanner's test data). */
const PACKAGES = [
  "zod",
  "commander",
  "execa",
  "smol-toml",
  "vitest",
  "@vitest",
  "typescript/lib",
  "chai",
  "debug",
  "js-yaml",
  "picomatch",
  "postcss",
  "yargs",
  "yargs-parser",
  "cross-spawn",
  "env-paths",
  "proper-lockfile",
  "write-file-atomic",
  "canonicalize",
  "pathe",
  "magic-string",
  "tinyglobby",
  "std-env",
  "pretty-ms",
  "figures",
  "human-signals",
  "string-width",
  "cliui",
];
const SOURCE = /\.(?:[cm]?js|[cm]?ts|json|md)$/;
const FILE_MAX = 1024 * 1024;
const SECRETLINT_CONFIG = {
  rules: [{ id: "@secretlint/secretlint-rule-preset-recommend", rule: recommended }],
};

function log(s) {
  process.stderr.write(`  ${s}\n`);
}

/** Real source files under the packages, sorted, each at most FILE_MAX bytes, up to `totalBytes`. */
export function realSourceFiles(totalBytes) {
  const out = [];
  let size = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (size >= totalBytes) return;
      const p = join(dir, e.name);
      if (e.isDirectory() && e.name !== "node_modules") walk(p);
      else if (e.isFile() && SOURCE.test(e.name) && statSync(p).size <= FILE_MAX) {
        const content = readFileSync(p, "utf8");
        out.push({ rel: relative(NODE_MODULES, p), content });
        size += content.length;
      }
    }
  };
  for (const pkg of PACKAGES) {
    try {
      walk(join(NODE_MODULES, pkg));
    } catch {
      // a package the tree does not have
    }
  }
  return out;
}

/** Plant `perKind` secrets of every kind into distinct files (or files of their own). */
export function plant(files, perKind, seed = 7) {
  const random = rng(seed);
  const pick = picker(random);
  const corpus = files.map((f) => ({ ...f, planted: null }));
  const free = corpus.map((_, i) => i).filter((i) => corpus[i].content.includes("\n"));
  for (const kind of KINDS) {
    for (let n = 0; n < perKind; n++) {
      const { lines, secret } = kind.make(pick);
      if (kind.file) {
        const content = `${lines.join("\n")}\n`;
        corpus.push({
          rel: `planted/${kind.kind}-${n}/${kind.file}`,
          content,
          planted: {
            kind: kind.kind,
            secret,
            start: 0,
            end: content.length,
            firstLine: 1,
            lastLine: content.split("\n").length,
          },
        });
        continue;
      }
      const [index] = free.splice(Math.floor(random() * free.length), 1);
      const file = corpus[index];
      const fileLines = file.content.split("\n");
      const at = Math.floor(random() * fileLines.length);
      const start = fileLines.slice(0, at).join("\n").length + (at > 0 ? 1 : 0);
      fileLines.splice(at, 0, ...lines);
      const inserted = lines.join("\n");
      file.content = fileLines.join("\n");
      file.planted = {
        kind: kind.kind,
        secret,
        start,
        end: start + inserted.length,
        firstLine: at + 1,
        lastLine: at + lines.length,
      };
    }
  }
  return corpus;
}

// @secretlint/core always profiles: every call leaves performance marks and observer entries that
// it searches linearly, so a long run slows down quadratically, and the deferred observer callbacks
// run inside whatever is timed next. Measure secretlint's rules, not its profiler: marks are off.
secretLintProfiler.mark = () => {};

/** secretlint on one file's bytes (decoding included, as omk's scan decodes). */
async function secretlint(file, bytes) {
  const result = await lintSource({
    source: { filePath: `/corpus/${file.rel}`, content: bytes.toString("utf8"), contentType: "text" },
    options: { config: SECRETLINT_CONFIG },
  });
  return result.messages;
}

/**
 * Alternate the contenders `reps` times so machine noise hits all of them; per contender the fastest
 * and the median run in milliseconds. `cpu` counts the process's CPU time (in-memory work on a busy
 * machine), `wall` the elapsed time (work that waits on the file system).
 */
async function race(reps, contenders, clock) {
  const now = () => {
    if (clock === "wall") return performance.now();
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const times = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let r = 0; r < reps; r++) {
    for (const [name, run] of Object.entries(contenders)) {
      // Let deferred callbacks of the previous contender run before the clock starts.
      await new Promise((resolve) => setImmediate(resolve));
      collectGarbage();
      const t = now();
      await run();
      times[name].push(now() - t);
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([k, v]) => [k, { min: Math.min(...v), median: median(v) }]),
  );
}

async function benchDetection() {
  const files = realSourceFiles(quick ? 6 * 2 ** 20 : 24 * 2 ** 20);
  const corpus = plant(files, quick ? 3 : 6);
  const bytes = corpus.map((f) => Buffer.from(f.content));
  const mb = bytes.reduce((n, b) => n + b.length, 0) / 2 ** 20;
  const planted = corpus.filter((f) => f.planted !== null);
  const clean = corpus.filter((f) => f.planted === null);
  log(
    `corpus: ${clean.length} clean files from ${PACKAGES.length} packages + ${planted.length} with secrets of ${KINDS.length} kinds, ${mb.toFixed(1)} MB`,
  );

  // Recall and false positives.
  const perKind = Object.fromEntries(
    KINDS.map((k) => [
      k.kind,
      {
        secretlintHasRule: k.secretlint,
        omkHadRule: k.omkBefore,
        planted: 0,
        omkScan: 0,
        omkRedactor: 0,
        secretlint: 0,
      },
    ]),
  );
  const omkFalse = [];
  const secretlintFalse = [];
  for (const [i, file] of corpus.entries()) {
    const findings = scanContent(file.rel, bytes[i]);
    const messages = await secretlint(file, bytes[i]);
    const p = file.planted;
    const onPlanted = (f) => p !== null && f.line >= p.firstLine && f.line <= p.lastLine;
    const overlaps = (m) => p !== null && m.range[0] < p.end && m.range[1] > p.start;
    for (const f of findings)
      if (!onPlanted(f)) omkFalse.push(`${file.rel}:${f.line} ${f.rule} ${f.preview}`);
    for (const m of messages) if (!overlaps(m)) secretlintFalse.push(`${file.rel} ${m.ruleId}`);
    if (p === null) continue;
    const row = perKind[p.kind];
    row.planted++;
    if (findings.some(onPlanted)) row.omkScan++;
    if (!redactText(file.content).includes(p.secret)) row.omkRedactor++;
    if (messages.some(overlaps)) row.secretlint++;
  }
  const total = (key, filter = () => true) =>
    Object.values(perKind)
      .filter(filter)
      .reduce((n, r) => n + r[key], 0);
  const recall = (key, filter) => total(key, filter) / total("planted", filter);
  const known = (r) => r.secretlintHasRule;
  const summary = {
    kinds: KINDS.length,
    planted: total("planted"),
    recall: {
      omkScan: recall("omkScan"),
      omkRedactor: recall("omkRedactor"),
      secretlint: recall("secretlint"),
      onKindsSecretlintKnows: { omkScan: recall("omkScan", known), secretlint: recall("secretlint", known) },
    },
    kindsWhereOmkScanBelowSecretlint: Object.entries(perKind)
      .filter(([, r]) => r.omkScan < r.secretlint)
      .map(([k]) => k),
    falsePositives: {
      omk: omkFalse.length,
      secretlint: secretlintFalse.length,
      omkExamples: omkFalse.slice(0, 10),
      secretlintExamples: secretlintFalse.slice(0, 10),
    },
    target: "omk recall >= secretlint on every kind; omk findings on clean files = 0",
  };
  for (const [kind, r] of Object.entries(perKind)) {
    log(
      `  ${kind.padEnd(32)} planted ${r.planted}  omk scan ${r.omkScan}  omk redactor ${r.omkRedactor}  secretlint ${r.secretlint}${r.secretlintHasRule ? "" : " (no rule)"}${r.omkHadRule ? "" : " [new in omk]"}`,
    );
  }
  log(
    `recall: omk scan ${(summary.recall.omkScan * 100).toFixed(1)}%, omk redactor ${(summary.recall.omkRedactor * 100).toFixed(1)}%, secretlint ${(summary.recall.secretlint * 100).toFixed(1)}% (on kinds secretlint knows: omk ${(summary.recall.onKindsSecretlintKnows.omkScan * 100).toFixed(1)}%, secretlint ${(summary.recall.onKindsSecretlintKnows.secretlint * 100).toFixed(1)}%)`,
  );
  log(`findings outside planted lines: omk ${omkFalse.length}, secretlint ${secretlintFalse.length}`);
  for (const example of omkFalse.slice(0, 5)) log(`  omk: ${example}`);
  for (const example of secretlintFalse.slice(0, 5)) log(`  secretlint: ${example}`);

  // Throughput on the same files, in memory (no file system on either side; both decode the bytes).
  const times = await race(
    quick ? 3 : 5,
    {
      omkScan: () => {
        for (const [i, f] of corpus.entries()) scanContent(f.rel, bytes[i]);
      },
      omkRedactor: () => {
        for (const b of bytes) redactText(b.toString("utf8"));
      },
      secretlint: async () => {
        for (const [i, f] of corpus.entries()) await secretlint(f, bytes[i]);
      },
    },
    "wall",
  );
  const mbps = (ms) => +(mb / (ms / 1000)).toFixed(1);
  const throughput = {
    files: corpus.length,
    corpusMB: +mb.toFixed(1),
    clock: "elapsed time, fastest of the alternated runs",
    omkScanMBps: mbps(times.omkScan.min),
    omkRedactorMBps: mbps(times.omkRedactor.min),
    secretlintMBps: mbps(times.secretlint.min),
    scanRatio: times.secretlint.min / times.omkScan.min,
    redactorRatio: times.secretlint.min / times.omkRedactor.min,
    scanRatioMedian: times.secretlint.median / times.omkScan.median,
    redactorRatioMedian: times.secretlint.median / times.omkRedactor.median,
    target: ">= 3 (omk ÷ secretlint throughput)",
  };
  log(
    `throughput: omk scan ${throughput.omkScanMBps} MB/s, omk redactor ${throughput.omkRedactorMBps} MB/s, secretlint ${throughput.secretlintMBps} MB/s → scan ${throughput.scanRatio.toFixed(1)}×, redactor ${throughput.redactorRatio.toFixed(1)}× (medians: ${throughput.scanRatioMedian.toFixed(1)}×, ${throughput.redactorRatioMedian.toFixed(1)}×)`,
  );
  return { perKind, summary, throughput };
}

const GREP =
  /AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|xox[abprs]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{16,}|-----BEGIN [A-Z ]*PRIVATE KEY/;

async function mapLimit(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

async function benchChange() {
  const count = quick ? 1_000 : 5_000;
  const sources = realSourceFiles(8 * 2 ** 20).filter((f) => f.content.length <= 64 * 1024);
  const work = mkdtempSync(join(tmpdir(), "omk-bench-scan-"));
  const root = join(work, "repo");
  try {
    const rels = [];
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const source = sources[i % sources.length];
      const ext = source.rel.slice(source.rel.lastIndexOf("."));
      const rel = `src/m${Math.floor(i / 100)}/f${i % 100}${ext}`;
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), source.content);
      rels.push(rel);
      bytes += source.content.length;
    }
    let findings = 0;
    let grepHits = 0;
    const times = await race(
      quick ? 3 : 7,
      {
        baseline: () =>
          mapLimit(rels, 16, async (rel) => {
            if (GREP.test(await readFile(join(root, rel), "utf8"))) grepHits++;
          }),
        omk: async () => {
          const result = await scanFiles(root, rels);
          findings = result.findings.length + result.symlinksOutside.length;
        },
        // The caller today (src/run/evaluate.ts): symlinkLeavesRoot per file, one at a time, then the scan.
        omkCallerToday: async () => {
          for (const rel of rels) await symlinkLeavesRoot(root, rel);
          await scanFiles(root, rels);
        },
      },
      "wall",
    );
    const result = {
      files: count,
      totalMB: +(bytes / 2 ** 20).toFixed(1),
      clock: "elapsed time, fastest of the alternated runs (warm page cache)",
      baselineMs: +times.baseline.min.toFixed(1),
      omkMs: +times.omk.min.toFixed(1),
      omkCallerTodayMs: +times.omkCallerToday.min.toFixed(1),
      baselineMsPerFile: +(times.baseline.min / count).toFixed(4),
      omkMsPerFile: +(times.omk.min / count).toFixed(4),
      ratio: times.omk.min / times.baseline.min,
      ratioMedian: times.omk.median / times.baseline.median,
      callerTodayRatio: times.omkCallerToday.min / times.baseline.min,
      findings,
      grepHits,
      target: "<= 1.5 (omk change checks ÷ read + grep)",
    };
    log(
      `change of ${count} files (${result.totalMB} MB): omk ${result.omkMs} ms (${result.omkMsPerFile} ms/file) vs read+grep ${result.baselineMs} ms (${result.baselineMsPerFile} ms/file) → ${result.ratio.toFixed(2)}× (median ${result.ratioMedian.toFixed(2)}×; with today's per-file symlink calls ${result.callerTodayRatio.toFixed(2)}×); findings ${findings}`,
    );
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function benchScan() {
  const detection = await benchDetection();
  const change = await benchChange();
  const results = { ...detection, change };
  writeResults("scan", results);
  return results;
}
