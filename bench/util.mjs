import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import vm from "node:vm";

v8.setFlagsFromString("--expose-gc");
/** A full garbage collection, so one contender's garbage is not collected on another's clock. */
export const collectGarbage = vm.runInNewContext("gc");

export function timeIt(fn) {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function writeResults(name, results) {
  const dir = new URL("./results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  const doc = {
    name,
    date: new Date().toISOString(),
    machine: {
      node: process.version,
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? "unknown",
      platform: `${os.platform()} ${os.release()}`,
    },
    results,
  };
  writeFileSync(new URL(`${name}.json`, dir), `${JSON.stringify(doc, null, 2)}\n`);
}

/** Deterministic xorshift32 in [0, 1): same seed → same sequence. */
export function rng(seed) {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** `pick(alphabet, n)`: n characters of the alphabet drawn with `random`. */
export function picker(random) {
  return (alphabet, n) => {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(random() * alphabet.length)];
    return s;
  };
}

/** Run argv (no shell) in cwd; its stdout, or an error with its stderr. */
export function sh(cwd, ...argv) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** `git init` + a local identity + one commit of everything in `repo`. */
export function commitRepo(repo) {
  sh(repo, "git", "init", "-q", "-b", "main");
  sh(repo, "git", "config", "user.name", "bench");
  sh(repo, "git", "config", "user.email", "bench@omk.invalid");
  sh(repo, "git", "config", "commit.gpgsign", "false");
  // Packed, as a cloned repository is, and with no automatic gc: a commit of thousands of files
  // would otherwise start a detached `gc --auto` that repacks (and writes info/refs) while the
  // measurements run — noise for both sides, and omk rightly blocks a run during which the
  // repository changed. The benchmarks measure runs, not a background gc.
  sh(repo, "git", "config", "gc.auto", "0");
  sh(repo, "git", "add", "-A");
  sh(repo, "git", "commit", "-q", "-m", "base");
  sh(repo, "git", "gc", "-q");
}

/**
 * A repository of `files` small modules whose one gate (`node check.mjs`) passes only once
 * src/m0/f0.js is patched, and an exec agent script that applies that patch (carried inside the
 * script, so it also works where /tmp is private, as in a sandbox). Returns the repo and the agent.
 */
export function patchRepo(work, files, name = "repo") {
  const repo = join(work, name);
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
  commitRepo(repo);
  writeFileSync(join(repo, "src", "m0", "f0.js"), "export const v0 = 0; // patched\n");
  const patch = join(work, `${name}.patch`);
  sh(repo, "git", "diff", `--output=${patch}`);
  sh(repo, "git", "checkout", "-q", "--", ".");
  const agent = join(work, `${name}-agent.sh`);
  writeFileSync(
    agent,
    `#!/usr/bin/env bash\nset -e\ngit apply <<'PATCH'\n${readFileSync(patch, "utf8")}PATCH\n`,
  );
  chmodSync(agent, 0o755);
  return { repo, patch, agent };
}
