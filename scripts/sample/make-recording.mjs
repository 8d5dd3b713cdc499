#!/usr/bin/env node
// Regenerates scripts/sample/recording.json: the demo's two-attempt recording, made with real git
// against the sample project (attempt patches are cumulative against the sample's base commit).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeSample, SAMPLE_ATTEMPTS, SAMPLE_TASK } from "./make-sample.mjs";

const dir = makeSample(mkdtempSync(join(tmpdir(), "omk-rec-")));
const attempts = [];
try {
  SAMPLE_ATTEMPTS.forEach((a, i) => {
    spawnSync("git", ["reset", "-q", "--hard"], { cwd: dir });
    for (const [rel, content] of Object.entries(a.files)) writeFileSync(join(dir, rel), content);
    spawnSync("git", ["add", "-A"], { cwd: dir });
    const out = join(dir, "..", `a${i}.patch`);
    const r = spawnSync("git", ["diff", "--cached", "--binary", "HEAD", `--output=${out}`], { cwd: dir });
    if (r.status !== 0) throw new Error(String(r.stderr));
    const patch = readFileSync(out, "utf8");
    attempts.push({
      attempt: i + 1,
      say: a.say,
      patch,
      sha256: createHash("sha256").update(patch).digest("hex"),
    });
  });
} finally {
  rmSync(join(dir, ".."), { recursive: true, force: true });
}
const rec = { schema: "omk.recording/v1", task: SAMPLE_TASK, source: {}, attempts };
writeFileSync(new URL("./recording.json", import.meta.url), `${JSON.stringify(rec, null, 2)}\n`);
console.error(`wrote recording.json with ${attempts.length} attempts`);
