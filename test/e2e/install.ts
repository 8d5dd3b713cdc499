import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir, installed, PINNED } from "./clis.js";

/** vitest globalSetup: the pinned CLIs into the cache folder, once (npm's own cache makes a reinstall quick). */
export default function setup(): void {
  if (installed()) return;
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "omk-e2e-clis", private: true }));
  const specs = Object.entries(PINNED).map(([name, version]) => `${name}@${version}`);
  execFileSync("npm", ["install", "--no-audit", "--no-fund", ...specs], {
    cwd: dir,
    stdio: "inherit",
  });
  if (!installed()) throw new Error(`npm install ${specs.join(" ")} left a CLI missing in ${dir}`);
}
