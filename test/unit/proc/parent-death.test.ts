import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProcess } from "../../../src/proc/run-process.js";
import { spawnProcess } from "../../../src/proc/spawn-process.js";
import type { ProcessHandle } from "../../../src/proc/types.js";
import { FIXTURES_DIR, killQuietly, parentEnv, waitUntilDead } from "./support.js";

/**
 * What happens to omk's children when omk itself goes away cannot be tested inside the vitest
 * worker, so src/proc is compiled to plain JS and driven by a small "omk" script in a child.
 */
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
let buildDir = "";

const DRIVER = `
import { spawnProcess } from "./proc/spawn-process.js";
const [mode, fixture] = process.argv.slice(2);
const handle = spawnProcess([process.execPath, fixture, "wait"], {
  cwd: process.cwd(),
  parentEnv: { PATH: process.env.PATH ?? "" },
});
for await (const line of handle.lines()) {
  process.stdout.write(line + "\\n");
  break;
}
process.stdout.write("LEADER " + handle.pid + "\\n");
if (mode === "exit") process.exit(3);
if (mode === "throw") throw new Error("omk crashed");
setInterval(() => {}, 1_000_000); // "signal": wait to be killed
`;

beforeAll(async () => {
  buildDir = await mkdtemp(join(tmpdir(), "omk-proc-build-"));
  const tsc = join(REPO, "node_modules", "typescript", "bin", "tsc");
  const build = await runProcess(
    [
      process.execPath,
      tsc,
      "--outDir",
      buildDir,
      "--rootDir",
      join(REPO, "src"),
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
      "--target",
      "es2022",
      "--types",
      "node",
      "--skipLibCheck",
      join(REPO, "src", "proc", "spawn-process.ts"),
    ],
    { cwd: REPO, parentEnv: parentEnv(), timeoutMs: 120_000 },
  );
  expect(build.failedToStart).toBeNull();
  // Resolve execa & co. from the repository's node_modules.
  await symlink(join(REPO, "node_modules"), join(buildDir, "node_modules"), "dir");
  await writeFile(join(buildDir, "package.json"), '{ "type": "module" }\n');
  await writeFile(join(buildDir, "driver.mjs"), DRIVER);
}, 120_000);

afterAll(async () => {
  if (buildDir !== "") await rm(buildDir, { recursive: true, force: true });
});

function pids(text: string): { grandchild: number; leader: number } {
  const grandchild = /GRANDCHILD (\d+)/.exec(text)?.[1];
  const leader = /LEADER (\d+)/.exec(text)?.[1];
  if (grandchild === undefined || leader === undefined)
    throw new Error(`driver said ${JSON.stringify(text)}`);
  return { grandchild: Number(grandchild), leader: Number(leader) };
}

const driverArgv = (mode: string): string[] => [
  process.execPath,
  join(buildDir, "driver.mjs"),
  mode,
  join(FIXTURES_DIR, "spawn-grandchild.mjs"),
];

describe("when omk goes away, its children go too", () => {
  it.each(["exit", "throw"])("on %s, the exit hook kills every live group", async (mode) => {
    let found: { grandchild: number; leader: number } | undefined;
    try {
      const r = await runProcess(driverArgv(mode), {
        cwd: buildDir,
        parentEnv: parentEnv(),
        timeoutMs: 30_000,
      });
      found = pids(r.stdout);
      expect(r.exitCode).toBe(mode === "exit" ? 3 : 1);
      expect(await waitUntilDead(found.leader)).toBe(true);
      expect(await waitUntilDead(found.grandchild)).toBe(true);
    } finally {
      killQuietly(found?.leader);
      killQuietly(found?.grandchild);
    }
  });

  it.each(["SIGTERM", "SIGINT", "SIGHUP"] as const)(
    "on an unhandled %s, groups are killed and omk still dies of the signal",
    async (sig) => {
      let driver: ProcessHandle | undefined;
      let found: { grandchild: number; leader: number } | undefined;
      try {
        driver = spawnProcess(driverArgv("signal"), {
          cwd: buildDir,
          parentEnv: parentEnv(),
          timeoutMs: 30_000,
        });
        const seen: string[] = [];
        for await (const line of driver.lines()) {
          seen.push(line);
          if (line.startsWith("LEADER")) break;
        }
        found = pids(seen.join("\n"));
        process.kill(driver.pid as number, sig);
        const exit = await driver.exited;
        expect(exit.signal).toBe(sig);
        expect(exit.timedOut).toBe(false);
        expect(await waitUntilDead(found.leader)).toBe(true);
        expect(await waitUntilDead(found.grandchild)).toBe(true);
      } finally {
        await driver?.kill();
        killQuietly(found?.leader);
        killQuietly(found?.grandchild);
      }
    },
  );
});
