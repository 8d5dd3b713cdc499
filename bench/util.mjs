import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
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
  sh(repo, "git", "add", "-A");
  sh(repo, "git", "commit", "-q", "-m", "base");
}
