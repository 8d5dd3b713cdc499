#!/usr/bin/env node
import * as nodeModule from "node:module";
import * as path from "node:path";
import { ExitCode } from "../core/exit-codes.js";
import { omkDirs } from "../store/paths.js";
import { startsRunFromHead } from "./early-run.js";
import { ignoreClosedPipes } from "./output.js";

/**
 * Node ≥ 22.1 can keep the compiled code of the CLI's chunks between commands (~60 ms of every
 * command otherwise). The cache lives in omk's own cache dir, not the shared default under /tmp,
 * where another user could have planted entries. A no-op on Node 20; NODE_COMPILE_CACHE still wins.
 */
function enableCompileCache(): void {
  const enable = (nodeModule as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
  if (enable === undefined || process.env.NODE_DISABLE_COMPILE_CACHE !== undefined) return;
  try {
    enable(process.env.NODE_COMPILE_CACHE ?? path.join(omkDirs(process.env).cache, "node-compile-cache"));
  } catch {
    // A cache that cannot be used only costs time.
  }
}

async function main(argv: readonly string[]): Promise<number> {
  ignoreClosedPipes();
  enableCompileCache();
  const args = argv.slice(2);
  // `omk --version` is what scripts and shells call most: answer it without loading the CLI.
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    const { VERSION } = await import("../core/version.js");
    process.stdout.write(`${VERSION}\n`);
    return ExitCode.ok;
  }
  // `omk run <task>` from HEAD: git starts on the repository and the run's worktree before the CLI
  // loads (awaited: loaded beside the CLI, the prefetch's modules would wait for the CLI's).
  const early = startsRunFromHead(args) ? await startEarlyRun() : undefined;
  try {
    return await runProgram(argv);
  } finally {
    // What an early start checked out and no run took over (the command failed before a run began).
    await early?.discardEarlyWorktrees();
  }
}

function startEarlyRun(): Promise<typeof import("../run/prefetch.js") | undefined> {
  return import("../run/prefetch.js").then(
    (m) => {
      m.prefetchRun(process.cwd(), { worktree: true });
      return m;
    },
    () => undefined,
  );
}

async function runProgram(argv: readonly string[]): Promise<number> {
  const [{ CommanderError }, { handleError }, { Output }, { buildProgram }] = await Promise.all([
    import("commander"),
    import("./handle-error.js"),
    import("./output.js"),
    import("./program.js"),
  ]);
  // `omk` and `omk <group>` with no subcommand print their help (stdout, exit 0), as gh does.
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help, --version and a missing subcommand (its help) are "errors" to commander's
      // exitOverride; they already printed.
      if (
        err.code === "commander.helpDisplayed" ||
        err.code === "commander.version" ||
        err.code === "commander.help"
      ) {
        return ExitCode.ok;
      }
    }
    const out = Output.fromEnv(program.opts());
    return handleError(err, out);
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`omk: fatal: ${String(err)}\n`);
    process.exitCode = ExitCode.failure;
  },
);
