#!/usr/bin/env node
// Bundles the CLI after `tsc` has type-checked and emitted dist/. Node 20 has no module compile
// cache, so loading ~300 small ESM files (execa, zod, …) costs ~200 ms per command; one bundle
// with lazily loaded chunks per command costs a fraction of that. Library modules in dist/ stay as
// tsc emitted them (tests and benchmarks import them directly).
import { readdirSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { build } from "esbuild";

// Chunk names are content hashes: without this, every build would leave the previous chunks behind.
const outdir = new URL("../dist/cli/", import.meta.url);
for (const name of readdirSync(outdir, { withFileTypes: true }))
  if (name.isFile() && name.name.startsWith("chunk-")) rmSync(new URL(name.name, outdir));

/**
 * zod's entries (classic and core) re-export all ~70 of its message locales as a namespace (`z.locales`), so a
 * bundle carries 360 KB of translations omk never selects (it keeps zod's default, English). Node
 * parses every byte of a chunk it loads, on every command; this keeps only the English locale.
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir)
        ? { path: "zod-locales-en", namespace: "omk-zod-locales" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "omk-zod-locales" }, () => ({
      contents: 'export { default as en } from "zod/v4/locales/en.js";',
      resolveDir: process.cwd(),
      loader: "js",
    }));
  },
};

/**
 * zod 4 compiles a fast path (`new Function`) for each object schema the first time it parses with it.
 * omk parses each schema a handful of times per command — a run's events, its config, a summary — so
 * the compiling costs more than it saves (~15–25 ms of every run on the benchmark VM), and generated
 * code is best avoided in a tool that reads untrusted input anyway. zod's switch for that is the global
 * `jitless` setting; the CLI bundle starts with it on, before any schema exists. The library build
 * (dist/ as tsc emitted it) keeps zod's default.
 */
const ZOD_GLOBAL_CONFIG = "(_a = globalThis).__zod_globalConfig ?? (_a.__zod_globalConfig = {});";
const zodJitless = {
  name: "zod-jitless",
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]core[\\/]core\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      if (!source.includes(ZOD_GLOBAL_CONFIG))
        throw new Error(`zod-jitless: ${args.path} no longer creates its global config as expected`);
      return {
        contents: source.replace(
          ZOD_GLOBAL_CONFIG,
          "(_a = globalThis).__zod_globalConfig ?? (_a.__zod_globalConfig = { jitless: true });",
        ),
        loader: "js",
      };
    });
  },
};

await build({
  entryPoints: { main: "src/cli/main.ts" },
  outdir: "dist/cli",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  chunkNames: "chunk-[hash]",
  sourcemap: "linked",
  legalComments: "none",
  // CommonJS dependencies (proper-lockfile, write-file-atomic, …) call require() for builtins and
  // read __filename; give every chunk the CommonJS names they expect.
  banner: {
    js: [
      'import { createRequire as __omkCreateRequire } from "node:module";',
      'import { fileURLToPath as __omkFileURLToPath } from "node:url";',
      "const require = __omkCreateRequire(import.meta.url);",
      "const __filename = __omkFileURLToPath(import.meta.url);",
      'const __dirname = __filename.slice(0, __filename.lastIndexOf("/"));',
    ].join(" "),
  },
  plugins: [zodEnglishOnly, zodJitless],
  logLevel: "warning",
});
