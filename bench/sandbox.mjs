// Confinement cost (issue 10): the same `omk run --agent exec` (apply a fixed patch, one node gate) on a
// 2,000-file repository, confined (`--sandbox required`: the agent and the gate each start in bwrap)
// ÷ unconfined (`--sandbox off`). Rounds alternate the two so machine noise hits both alike.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, patchRepo, timeIt, writeResults } from "./util.mjs";

const quick = process.env.OMK_BENCH_QUICK === "1";
const omk = new URL("../dist/cli/main.js", import.meta.url).pathname;

export async function benchSandbox() {
  const check = spawnSync(process.execPath, [omk, "sandbox", "check", "--json"], { encoding: "utf8" });
  if (check.status !== 0) {
    process.stderr.write(`  skipped: confinement does not work here (${JSON.parse(check.stdout).reason})\n`);
    return null;
  }
  const work = mkdtempSync(join(tmpdir(), "omk-bench-sandbox-"));
  const files = 2_000;
  try {
    const { repo, agent } = patchRepo(work, files);
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
