// Agent output ("Everyday use" 1): peak RSS of `omk run` whose exec agent prints 200 MB ÷ the same run
// whose agent prints nothing (omk's own max RSS, read by a preloaded hook: the agent's and the gates'
// memory are not counted), and `omk run list` over 500 runs (one of them with 1,000,000 output lines)
// ÷ `omk --version`.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitRepo, median, sh, timeIt, writeResults } from "./util.mjs";

const quick = process.env.OMK_BENCH_QUICK === "1";
const dist = new URL("../dist/", import.meta.url).pathname;
const omk = join(dist, "cli", "main.js");
const log = (s) => process.stderr.write(`${s}\n`);

function makeRepo(repo) {
  mkdirSync(join(repo, ".omk"), { recursive: true });
  writeFileSync(join(repo, "README.md"), "bench\n");
  writeFileSync(join(repo, "check.mjs"), "process.exit(0);\n");
  writeFileSync(join(repo, ".gitignore"), ".omk/worktrees/\n");
  writeFileSync(
    join(repo, ".omk", "gates.toml"),
    `[[gates]]\nname = "check"\ncommand = "node"\nargs = ["check.mjs"]\n`,
  );
  commitRepo(repo);
}

/** An exec agent printing `bytes` bytes in lines of `lineBytes`, then changing one file. */
function printer(work, name) {
  const file = join(work, `${name}.mjs`);
  writeFileSync(
    file,
    `#!/usr/bin/env node
import { writeFileSync } from "node:fs";
const total = Number(process.argv[2]);
const lineBytes = Number(process.argv[3]);
const body = "y".repeat(Math.max(0, lineBytes - 12));
let out = 0, i = 0, buf = "";
const write = (s) => new Promise((r) => (process.stdout.write(s) ? r() : process.stdout.once("drain", r)));
while (out < total) {
  const line = String(i++).padStart(10, "0") + " " + body + "\\n";
  buf += line;
  out += line.length;
  if (buf.length >= 1 << 16) { await write(buf); buf = ""; }
}
if (buf) await write(buf);
writeFileSync("out-" + process.env.OMK_ATTEMPT + "-" + Date.now() + ".txt", "done\\n");
`,
  );
  chmodSync(file, 0o755);
  return file;
}

function omkRun(repo, env, agent, args, hook) {
  const rssFile = join(env.XDG_STATE_HOME, `rss-${Date.now()}-${Math.random()}`);
  const t = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      hook,
      omk,
      "run",
      "--json",
      "--agent",
      "exec",
      "--agent-bin",
      agent,
      // The agent script lives under /tmp, which a sandbox makes private; memory is what is measured.
      "--sandbox",
      "off",
      ...args,
      "bench: print",
    ],
    { cwd: repo, env: { ...env, OMK_BENCH_RSS_OUT: rssFile }, encoding: "utf8", maxBuffer: 1 << 26 },
  );
  const ms = performance.now() - t;
  const doc = JSON.parse(r.stdout);
  const maxRssKB = Number(readFileSync(rssFile, "utf8"));
  return { doc, ms, maxRssKB, stderr: r.stderr };
}

function runDirOf(state, runId) {
  const projects = join(state, "omk", "projects");
  for (const p of readdirSync(projects)) {
    const d = join(projects, p, "runs", runId);
    if (statSync(d, { throwIfNoEntry: false })?.isDirectory()) return d;
  }
  throw new Error(`no run dir for ${runId}`);
}

async function writeSyntheticRuns(runsDir, n, base) {
  const { Ledger } = await import(join(dist, "store", "ledger", "writer.js"));
  const { redactValue } = await import(join(dist, "security", "redact.js"));
  const { newId } = await import(join(dist, "core", "ids.js"));
  const sha = "0".repeat(64);
  for (let i = 0; i < n; i++) {
    const runId = newId("run");
    const dir = join(runsDir, runId);
    const ledger = await Ledger.open(dir, { runId, redact: redactValue });
    const gate = {
      name: "check",
      argv: ["node", "check.mjs"],
      required: true,
      allowFail: false,
      status: "pass",
      exitCode: 0,
      durationMs: 40,
      stdoutBytes: 0,
      stderrBytes: 0,
      stdoutSha256: sha,
      stderrSha256: sha,
      tail: "ok",
    };
    const events = [
      [
        "RunStarted",
        {
          runId,
          task: `synthetic run ${i}`,
          root: "/bench",
          projectId: "bench",
          base,
          baseBranch: "main",
          branch: `omk/run/${runId}`,
          worktree: `/bench/.omk/worktrees/${runId}`,
          agent: { name: "exec", bin: "/bench/agent", args: [], model: null },
          execution: "auto",
          maxAttempts: 3,
          gates: ["check"],
          omkVersion: "bench",
        },
      ],
      ["WorkspaceReady", { worktree: "/w", branch: "b", how: "created", setupOk: true, setupDetail: "" }],
      ["AttemptStarted", { attempt: 1, feedbackFrom: null }],
      ["AgentStarted", { attempt: 1, adapter: "exec", resumedSession: false }],
      ["AgentOutput", { attempt: 1, lines: 12, bytes: 800, sample: "working…" }],
      ["AgentStopped", { attempt: 1, killed: [] }],
      ["AgentFinished", { attempt: 1, status: "finished", detail: "exited 0", steps: null }],
      ["Snapshot", { attempt: 1, tree: "a".repeat(40), agentCommits: [] }],
      [
        "DiffCaptured",
        {
          attempt: 1,
          files: [{ path: "a.txt", status: "A", added: 1, deleted: 0 }],
          added: 1,
          deleted: 0,
          patchFile: null,
          patchSha256: null,
          patchBytes: null,
        },
      ],
      ["GateStarted", { attempt: 1, name: "check" }],
      ["GateResult", { attempt: 1, gate }],
      ["AttemptFinished", { attempt: 1, outcome: "passed" }],
      [
        "RunFinished",
        { status: "ready", reasons: ["all required gates passed on attempt 1"], headCommit: base },
      ],
    ];
    await Promise.all(events.map(([kind, data]) => ledger.append({ kind, data })));
    await ledger.close();
  }
}

export async function benchOutput() {
  const work = mkdtempSync(join(tmpdir(), "omk-bench-output-"));
  const repo = join(work, "repo");
  const state = join(work, "state");
  const env = { ...process.env, XDG_STATE_HOME: state, NO_COLOR: "1" };
  const hook = join(work, "rss-hook.mjs");
  writeFileSync(
    hook,
    `import { writeFileSync } from "node:fs";
const out = process.env.OMK_BENCH_RSS_OUT;
if (out) process.on("exit", () => writeFileSync(out, String(process.resourceUsage().maxRSS)));
`,
  );
  const results = {};
  try {
    makeRepo(repo);
    const agent = printer(work, "printer");
    const loudBytes = quick ? 50 * 2 ** 20 : 200 * 2 ** 20;
    const rounds = quick ? 1 : 3;

    // 1. Peak RSS: quiet vs loud.
    const quiet = [];
    const loud = [];
    let loudDoc = null;
    for (let i = 0; i < rounds; i++) {
      const q = omkRun(repo, env, agent, ["--agent-arg", "0", "--agent-arg", "100"], hook);
      if (q.doc.status !== "ready") throw new Error(`quiet run was ${q.doc.status}: ${q.stderr}`);
      quiet.push(q.maxRssKB);
      const l = omkRun(repo, env, agent, ["--agent-arg", String(loudBytes), "--agent-arg", "100"], hook);
      if (l.doc.status !== "ready") throw new Error(`loud run was ${l.doc.status}: ${l.stderr}`);
      loud.push(l.maxRssKB);
      loudDoc = { ...l.doc, ms: l.ms };
    }
    const loudDir = runDirOf(state, loudDoc.runId);
    const ledgerBytes = statSync(join(loudDir, "events.jsonl")).size;
    const artifactBytes = statSync(join(loudDir, "artifacts", "output-1.log")).size;
    const rssRatio = median(loud) / median(quiet);
    results.outputRss = {
      printedMB: loudBytes / 2 ** 20,
      quietMaxRssMB: +(median(quiet) / 1024).toFixed(1),
      loudMaxRssMB: +(median(loud) / 1024).toFixed(1),
      ratio: +rssRatio.toFixed(3),
      target: "<= 1.5",
      loudStatus: loudDoc.status,
      loudSeconds: +(loudDoc.ms / 1000).toFixed(1),
      ledgerMB: +(ledgerBytes / 2 ** 20).toFixed(3),
      ledgerTarget: "< 10",
      artifactMB: +(artifactBytes / 2 ** 20).toFixed(2),
      samplesKB: { quiet, loud },
    };
    log(
      `output rss: ${(median(loud) / 1024).toFixed(0)} MB printing ${loudBytes / 2 ** 20} MB ÷ ${(median(quiet) / 1024).toFixed(0)} MB printing nothing → ${rssRatio.toFixed(2)}× (ledger ${(ledgerBytes / 2 ** 20).toFixed(2)} MB, ${loudDoc.status})`,
    );

    // 2. run list over 500 runs: the ones above, one printing 1,000,000 lines, the rest written directly.
    const million = omkRun(
      repo,
      env,
      agent,
      ["--agent-arg", String(1_000_000 * 20), "--agent-arg", "20"],
      hook,
    );
    if (million.doc.status !== "ready") throw new Error(`1M-line run was ${million.doc.status}`);
    const runsDir = join(runDirOf(state, million.doc.runId), "..");
    const have = readdirSync(runsDir).filter((n) => n.startsWith("run-")).length;
    const base = sh(repo, "git", "rev-parse", "HEAD").trim();
    await writeSyntheticRuns(runsDir, 500 - have, base);
    const count = readdirSync(runsDir).filter((n) => n.startsWith("run-")).length;
    const list = () => {
      const r = spawnSync(process.execPath, [omk, "run", "list", "--json"], {
        cwd: repo,
        env,
        encoding: "utf8",
      });
      const runs = JSON.parse(r.stdout).runs;
      if (runs.length !== count) throw new Error(`run list showed ${runs.length} of ${count} runs`);
    };
    const version = () => {
      const r = spawnSync(process.execPath, [omk, "--version"], { cwd: repo, env, encoding: "utf8" });
      if (r.status !== 0) throw new Error("omk --version failed");
    };
    // Cold: no summary.json anywhere (every ledger replayed, summaries written back).
    for (const id of readdirSync(runsDir)) rmSync(join(runsDir, id, "summary.json"), { force: true });
    const coldMs = timeIt(list);
    const listRounds = quick ? 3 : 7;
    const listMs = [];
    const versionMs = [];
    for (let i = 0; i < listRounds; i++) {
      versionMs.push(timeIt(version));
      listMs.push(timeIt(list));
    }
    const listRatio = median(listMs) / median(versionMs);
    results.runList = {
      runs: count,
      millionLineRun: {
        lines: 1_000_000,
        ledgerKB: +(statSync(join(runsDir, million.doc.runId, "events.jsonl")).size / 1024).toFixed(1),
      },
      listMs: +median(listMs).toFixed(1),
      versionMs: +median(versionMs).toFixed(1),
      ratio: +listRatio.toFixed(2),
      target: "<= 3",
      coldListMs: +coldMs.toFixed(1),
    };
    log(
      `run list: ${median(listMs).toFixed(0)} ms over ${count} runs ÷ omk --version ${median(versionMs).toFixed(0)} ms → ${listRatio.toFixed(2)}× (cold, rebuilding every summary: ${coldMs.toFixed(0)} ms)`,
    );
    writeResults("output", results);
    process.stdout.write(
      `${JSON.stringify({ outputRssRatio: results.outputRss.ratio, runListRatio: results.runList.ratio })}\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
