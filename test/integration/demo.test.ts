import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

// `npm run demo` is the first thing a new user runs: init → replayed two-attempt run → proof
// verify → land → proof show, offline, with no agent installed.
describe("npm run demo", () => {
  it("runs end to end and lands a ready run after two attempts", () => {
    const script = new URL("../../scripts/demo.mjs", import.meta.url).pathname;
    const r = spawnSync(process.execPath, [script], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/demo: ok — run run-\S+ was ready after 2 attempts and landed on main/);
    expect(r.stderr).toContain("attempt 1: gates failed");
    expect(r.stderr).toMatch(/proof of run-\S+ verifies \(status ready\)/);
  });
});
