// Confinement cost (issue 10): the same `omk run --agent exec` (apply a fixed patch, one node gate) on a
// 2,000-file repository, confined (`--sandbox required`: the agent and the gate each start in bwrap)
// ÷ unconfined (`--sandbox off`). Rounds alternate the two so machine noise hits both alike.
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

export async function benchSandbox() {
  const check = spawnSync(process.execPath, [omk, "sandbox", "check", "--json"], { encoding: "utf8" });
  if (check.status !== 0) {
    process.stderr.write(`  skipped: confinement does not work here (${JSON.parse(check.stdout).reason})\n`);
    return null;
  }
  const work = mkdtempSync(join(tmpdir(), "omk-bench-sandbox-"));
  const repo = join(work, "repo");
  const files = 2_000;
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
    writeFileSync(join(repo, ".gitignore"), ".omk/worktrees/\n");
    sh(repo, "git", "init", "-q", "-b", "main");
    sh(repo, "git", "config", "user.name", "bench");
    sh(repo, "git", "config", "user.email", "bench@omk.invalid");
    sh(repo, "git", "config", "commit.gpgsign", "false");
    sh(repo, "git", "add", "-A");
    sh(repo, "git", "commit", "-q", "-m", "base");
    writeFileSync(join(repo, "src", "m0", "f0.js"), "export const v0 = 0; // patched\n");
    const patch = join(work, "fixed.patch");
    sh(repo, "git", "diff", `--output=${patch}`);
    sh(repo, "git", "checkout", "-q", "--", ".");
    // /tmp is private inside the sandbox, so the patch travels inside the agent script (which is bound in).
    const agent = join(work, "agent.sh");
    writeFileSync(
      agent,
      `#!/usr/bin/env bash\nset -e\ngit apply <<'PATCH'\n${sh(repo, "cat", patch)}PATCH\n`,
    );
    chmodSync(agent, 0o755);
    const env = { ...process.env, XDG_STATE_HOME: join(work, "state") };
    delete env.OMK_SANDBOX;
    const run = (mode) =>
      timeIt(() => {
        const r = spawnSync(
          process.execPath,
          [omk, "run", "--agent", "exec", "--agent-bin", agent, "--sandbox", mode, "--json", "bench: apply"],
          { cwd: repo, env, encoding: "utf8" },
        );
        const doc = JSON.parse(r.stdout);
        if (doc.status !== "ready")
          throw new Error(`omk run (--sandbox ${mode}) was ${doc.status}: ${r.stderr}`);
      });
    // Warm-up: the first run creates the gate workspace.
    run("off");
    run("required");
    const rounds = quick ? 3 : 9;
    const confined = [];
    const open = [];
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) {
        confined.push(run("required"));
        open.push(run("off"));
      } else {
        open.push(run("off"));
        confined.push(run("required"));
      }
    }
    const results = {
      files,
      rounds,
      confinedMs: Math.round(median(confined)),
      unconfinedMs: Math.round(median(open)),
      ratio: median(confined) / median(open),
      target: "<= 1.15",
    };
    process.stderr.write(
      `  confined run ${results.confinedMs} ms vs unconfined ${results.unconfinedMs} ms → ${results.ratio.toFixed(3)}× (target ≤ 1.15)\n`,
    );
    writeResults("sandbox", results);
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
