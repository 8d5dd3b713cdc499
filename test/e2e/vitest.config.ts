import { defineConfig } from "vitest/config";

/**
 * `npm run test:e2e`: the REAL agent CLIs (pinned in clis.ts, installed into a cache folder outside the
 * project's dependencies) driven by the built omk against the fake model server. Not part of `npm test`.
 */
export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/e2e/**/*.e2e.ts"],
    globalSetup: ["test/e2e/install.ts"],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: "forks",
    maxWorkers: 1,
  },
});
