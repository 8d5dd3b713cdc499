// Run overhead (issue 4): `omk run --agent exec` applying a fixed patch with one gate on a 10,000-file
// repository ÷ a bash baseline doing the same work by hand (worktree add + patch + gate + diff + commit).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, timeIt, writeResults } from "./util.mjs";

const quick = process.env.OMK_BENCH_QUICK === "1";
const omk = new URL("../dist/cli/main.js", import.meta.url).pathname;

function sh(cwd, ...argv) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

export async function benchRun() {
  const work = mkdtempSync(join(tmpdir(), "omk-bench-run-"));
  const repo = join(work, "repo");
  const files = quick ? 2_000 : 10_000;
  try {
    for (let d = 0; d < files / 100; d++) {
      mkdirSync(join(repo, "src", `m${d}`), { recursive: true });
      for (let f = 0; f < 100; f++)
        writeFileSync(join(repo, "src", `m${d}`, `f${f}.js`), `export const v${f} = ${d * 100 + f};\n`);
    }
    writeFileSync(
      join(repo, "check.mjs"),
      'import { readFileSync } from "node:fs";\nprocess.exit(readFileSync("src/m0/f0.js", "utf8").includes("patched") ? 0 : 1);\n',
    );
    mkdirSync(join(repo, ".omk"));
    writeFileSync(
      join(repo, ".omk", "gates.toml"),
      `[[gates]]\nname = "check"\ncommand = "node"\nargs = ["check.mjs"]\n`,
    );
    sh(repo, "git", "init", "-q", "-b", "main");
    sh(repo, "git", "config", "user.name", "bench");
    sh(repo, "git", "config", "user.email", "bench@omk.invalid");
    sh(repo, "git", "config", "commit.gpgsign", "false");
    sh(repo, "git", "add", "-A");
    sh(repo, "git", "commit", "-q", "-m", "base");
    // The fixed patch both sides apply.
    writeFileSync(join(repo, "src", "m0", "f0.js"), "export const v0 = 0; // patched\n");
    const patch = join(work, "fixed.patch");
    sh(repo, "git", "diff", `--output=${patch}`);
    sh(repo, "git", "checkout", "-q", "--", ".");
    const agent = join(work, "agent.sh");
    writeFileSync(agent, `#!/usr/bin/env bash\nset -e\ngit apply ${JSON.stringify(patch)}\n`);
    chmodSync(agent, 0o755);
    const baseline = join(work, "baseline.sh");
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
    const env = { ...process.env, XDG_STATE_HOME: join(work, "state") };
    const rounds = quick ? 2 : 5;
    const omkRun = () =>
      timeIt(() => {
        const r = spawnSync(
          process.execPath,
          [omk, "run", "--agent", "exec", "--agent-bin", agent, "--json", "bench: apply the fixed patch"],
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
    const results = {
      files,
      rounds,
      omkRunMs: Math.round(median(omkT)),
      bashBaselineMs: Math.round(median(baseT)),
      ratio: median(omkT) / median(baseT),
      target: "<= 1.5 (gate workspace reused, setup cached)",
      firstRun: { omkMs: Math.round(omkFirst), bashMs: Math.round(baseFirst), ratio: omkFirst / baseFirst },
    };
    process.stderr.write(
      `  run overhead on ${files} files: omk ${results.omkRunMs} ms vs bash ${results.bashBaselineMs} ms → ${results.ratio.toFixed(2)}× (first, uncached: ${results.firstRun.omkMs} vs ${results.firstRun.bashMs} ms → ${results.firstRun.ratio.toFixed(2)}×)\n`,
    );
    writeResults("run", results);
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
