// Run overhead ("The proof binds what lands" and "Everyday use" 9): `omk run --agent exec` applying a
// fixed patch with one gate ÷ a bash baseline doing the same work by hand (worktree add + patch + gate
// + diff + commit), on a 1,000-file and a 10,000-file repository. omk runs its gates in a gate
// workspace; after the first run that workspace is reused (reset, setup cached), which is the figure
// the targets are about; the first, uncached run is reported separately.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, patchRepo, sh, timeIt, writeResults } from "./util.mjs";

const quick = process.env.OMK_BENCH_QUICK === "1";
const omk = new URL("../dist/cli/main.js", import.meta.url).pathname;
const TARGETS = { 1000: 1.5, 10000: 1.3 };

function measure(work, files, rounds) {
  const { repo, patch, agent } = patchRepo(work, files, `repo-${files}`);
  const baseline = join(work, `baseline-${files}.sh`);
  writeFileSync(
    baseline,
    `#!/usr/bin/env bash
set -e
cd ${JSON.stringify(repo)}
id=b$RANDOM$RANDOM
git worktree add -q -b "bench/$id" ".omk/worktrees/$id" HEAD
cd ".omk/worktrees/$id"
git apply ${JSON.stringify(patch)}
node check.mjs
git add -A
git diff --cached --numstat HEAD > /dev/null
git commit -q -m "bench $id"
`,
  );
  chmodSync(baseline, 0o755);
  const env = { ...process.env, XDG_STATE_HOME: join(work, `state-${files}`) };
  const omkRun = () =>
    timeIt(() => {
      const r = spawnSync(
        process.execPath,
        // Unconfined, as the baseline is; bench/sandbox.mjs measures what confinement adds.
        [
          omk,
          "run",
          "--agent",
          "exec",
          "--agent-bin",
          agent,
          "--sandbox",
          "off",
          "--json",
          "bench: apply the fixed patch",
        ],
        { cwd: repo, env, encoding: "utf8" },
      );
      const doc = JSON.parse(r.stdout);
      if (doc.status !== "ready") throw new Error(`omk run was ${doc.status}: ${r.stderr}`);
    });
  // The first run creates the project's gate workspace (a full checkout); later runs reset it.
  const baseFirst = timeIt(() => sh(repo, baseline));
  const omkFirst = omkRun();
  const omkT = [];
  const baseT = [];
  for (let i = 0; i < rounds; i++) {
    baseT.push(timeIt(() => sh(repo, baseline)));
    omkT.push(omkRun());
  }
  const r = {
    files,
    rounds,
    omkRunMs: Math.round(median(omkT)),
    bashBaselineMs: Math.round(median(baseT)),
    ratio: median(omkT) / median(baseT),
    target: `<= ${TARGETS[files] ?? 1.5} (gate workspace reused, setup cached)`,
    firstRun: { omkMs: Math.round(omkFirst), bashMs: Math.round(baseFirst), ratio: omkFirst / baseFirst },
  };
  process.stderr.write(
    `  run overhead on ${files} files: omk ${r.omkRunMs} ms vs bash ${r.bashBaselineMs} ms → ${r.ratio.toFixed(2)}× (first, uncached: ${r.firstRun.omkMs} vs ${r.firstRun.bashMs} ms → ${r.firstRun.ratio.toFixed(2)}×)\n`,
  );
  return r;
}

export async function benchRun() {
  const work = mkdtempSync(join(tmpdir(), "omk-bench-run-"));
  try {
    const rounds = quick ? 2 : 7;
    const sizes = quick ? [1000, 2000] : [1000, 10000];
    const results = { bySize: sizes.map((files) => measure(work, files, rounds)) };
    writeResults("run", results);
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
