#!/usr/bin/env node
import { ExitCode } from "../core/exit-codes.js";
import { ignoreClosedPipes } from "./output.js";

async function main(argv: readonly string[]): Promise<number> {
  ignoreClosedPipes();
  const args = argv.slice(2);
  // `omk --version` is what scripts and shells call most: answer it without loading the CLI.
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    const { VERSION } = await import("../core/version.js");
    process.stdout.write(`${VERSION}\n`);
    return ExitCode.ok;
  }
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
