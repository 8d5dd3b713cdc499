#!/usr/bin/env node
// Dependency hygiene: lockfile sources (lockfile-lint) and licences against an allow-list.
// Runs offline: it reads package-lock.json and the installed node_modules only.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const require = createRequire(import.meta.url);
const problems = [];

// 1. lockfile-lint: only the npm registry, https, integrity present, names match.
const lintBin = require.resolve("lockfile-lint/bin/lockfile-lint.js");
const lint = spawnSync(
  process.execPath,
  [
    lintBin,
    "--path",
    "package-lock.json",
    "--type",
    "npm",
    "--allowed-hosts",
    "npm",
    "--validate-https",
    "--validate-integrity",
    "--validate-package-names",
  ],
  { cwd: root, encoding: "utf8" },
);
if (lint.status !== 0) problems.push(`lockfile-lint failed:\n${lint.stdout}${lint.stderr}`);

// 2. Every installed package has a sha512 integrity and no git/file/http source (npm may omit
//    `resolved` entirely; lockfile-lint then has nothing to check, so check integrity here).
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
const ALLOWED = new Set([
  "MIT",
  "ISC",
  "BSD-2-Clause",
  "BSD-3-Clause",
  "Apache-2.0",
  "0BSD",
  "BlueOak-1.0.0",
  "CC0-1.0",
  "CC-BY-4.0",
  "MIT-0",
  "Unlicense",
  "Python-2.0",
  "BSD-3-Clause-Clear",
]);
// File-level weak copyleft is fine for tools that never ship in omk's package (vitest's CSS parser).
const DEV_ONLY_ALLOWED = new Set(["MPL-2.0"]);
let checked = 0;
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (path === "" || entry.link) continue;
  checked++;
  if (typeof entry.integrity !== "string" || !entry.integrity.startsWith("sha512-")) {
    problems.push(`${path}: missing sha512 integrity`);
  }
  if (typeof entry.resolved === "string" && !/^https:\/\//.test(entry.resolved)) {
    problems.push(`${path}: non-https source ${entry.resolved}`);
  }
  const pkgFile = join(root, path, "package.json");
  if (!existsSync(pkgFile)) {
    if (!entry.optional) problems.push(`${path}: not installed (run npm ci first)`);
    continue;
  }
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
  const licence = typeof pkg.license === "string" ? pkg.license : pkg.license?.type;
  const devOk = entry.dev === true && DEV_ONLY_ALLOWED.has(licence);
  if (!devOk && !licenceAllowed(licence))
    problems.push(`${path}: licence ${JSON.stringify(licence)} is not on the allow-list`);
}

function licenceAllowed(expr) {
  if (typeof expr !== "string") return false;
  const e = expr.replace(/[()]/g, "").trim();
  if (ALLOWED.has(e)) return true;
  // SPDX: "A OR B" needs one allowed; "A AND B" needs all allowed.
  if (/ OR /.test(e)) return e.split(/ OR /).some((p) => licenceAllowed(p));
  if (/ AND /.test(e)) return e.split(/ AND /).every((p) => licenceAllowed(p));
  return false;
}

if (problems.length > 0) {
  console.error(`audit:deps found ${problems.length} problem(s):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.error(`audit:deps ok: ${checked} packages, sources and licences allowed`);
