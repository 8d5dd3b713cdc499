#!/usr/bin/env node
// `npm run demo`: omk end to end on a generated sample project, offline, no model, no agent installed.
// init → run (replay agent: attempt 1 fails a gate, the failure is fed back, attempt 2 passes)
// → proof verify (ledger, artifacts, branch, gates re-run) → land → proof summary.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeSample, SAMPLE_TASK } from "./sample/make-sample.mjs";

const omkBin = new URL("../dist/cli/main.js", import.meta.url).pathname;
const recording = new URL("./sample/recording.json", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "omk-demo-"));
const repo = makeSample(join(work, "sample"));
// The demo's private state stays in its temp dir, away from the user's real XDG dirs.
const env = {
  ...process.env,
  XDG_STATE_HOME: join(work, "state"),
  XDG_CONFIG_HOME: join(work, "config"),
  XDG_CACHE_HOME: join(work, "cache"),
};
const started = Date.now();

function omk(args, { expect = 0, show = true } = {}) {
  process.stderr.write(
    `\n\u001b[1m$ omk ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ")}\u001b[0m\n`,
  );
  const r = spawnSync(process.execPath, [omkBin, ...args], {
    cwd: repo,
    env,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  if (show && r.stdout && !args.includes("--json")) process.stderr.write(r.stdout);
  if (r.status !== expect) {
    process.stderr.write(`\ndemo: \`omk ${args.join(" ")}\` exited ${r.status}, expected ${expect}\n`);
    throw new Error("demo step failed");
  }
  return r;
}

function git(...args) {
  return spawnSync("git", args, { cwd: repo, encoding: "utf8" }).stdout.trim();
}

let ok = false;
try {
  process.stderr.write(`demo: sample project in ${repo}\n`);
  omk(["init"]);
  git("add", ".omk", ".kimi");
  git("commit", "-q", "-m", "omk init");
  process.stderr.write("\ndemo: the sample's own test suite fails before the run:");
  omk(["verify"], { expect: 1 });
  const run = JSON.parse(omk(["run", "--agent", `replay:${recording}`, "--json", SAMPLE_TASK]).stdout);
  omk(["proof", "verify", run.runId]);
  omk(["land", run.runId]);
  omk(["verify"]);
  omk(["proof", "show", run.runId]);
  process.stderr.write(
    `\ndemo: ok — run ${run.runId} was ${run.status} after ${run.attempts} attempts and landed on main at ${git("rev-parse", "--short", "HEAD")} (${((Date.now() - started) / 1000).toFixed(1)}s)\n`,
  );
  ok = true;
} catch (err) {
  process.stderr.write(`demo failed: ${err.message}\n`);
} finally {
  if (process.env.OMK_DEMO_KEEP) process.stderr.write(`demo workspace kept at ${work}\n`);
  else rmSync(work, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;
