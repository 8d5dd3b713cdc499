#!/usr/bin/env node
import { CommanderError } from "commander";
import { ExitCode } from "../core/exit-codes.js";
import { handleError } from "./handle-error.js";
import { Output } from "./output.js";
import { buildProgram } from "./program.js";

async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are "errors" to commander's exitOverride; they already printed.
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
