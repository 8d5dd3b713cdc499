import { readFileSync } from "node:fs";

/**
 * omk's version: the one source for `--version`, the ledger's RunStarted, proof.json and the name
 * omk gives itself in agent handshakes. Every file that can run this — src/core (tests),
 * dist/core (tsc output) and dist/cli (the bundle) — sits two folders below the package root.
 */
function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      name?: unknown;
      version?: unknown;
    };
    return pkg.name === "omk" && typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export const VERSION = readVersion();
