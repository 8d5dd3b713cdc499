import { Command, Option } from "commander";
import { VERSION } from "../core/version.js";
import { registerAsk } from "./commands/ask.js";
import { registerCleanup } from "./commands/cleanup.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerGoal } from "./commands/goal.js";
import { registerInit } from "./commands/init.js";
import { registerKey } from "./commands/key.js";
import { registerLand } from "./commands/land.js";
import { registerProof } from "./commands/proof.js";
import { registerRun } from "./commands/run.js";
import { registerSandbox } from "./commands/sandbox.js";
import { registerVerify } from "./commands/verify.js";
import { examples } from "./context.js";
import { writeOut } from "./output.js";

export function buildProgram(): Command {
  const program = new Command("omk")
    .description(
      "Run coding agents in isolated git worktrees, judge their work with your project's own gates, " +
        "scan it for secrets, and keep a tamper-evident proof of every step.",
    )
    .version(VERSION, "-V, --version", "print the omk version")
    .addOption(
      new Option(
        "--json",
        "print one JSON document on stdout (human text, results included, goes to stderr)",
      ),
    )
    .addOption(new Option("-q, --quiet", "only results (stdout), warnings and errors"))
    .addOption(new Option("-v, --verbose", "more detail on stderr"))
    .addOption(new Option("--no-color", "disable colour (NO_COLOR is honoured too)"))
    .showSuggestionAfterError(true)
    .addHelpText(
      "after",
      `${examples([
        "omk init",
        "omk verify",
        "omk run add retry with backoff to the http client",
        "omk run list",
        "omk run diff last",
        "omk proof verify last",
        "omk land last",
        'omk ask deepseek --run last "what could this change break?"',
      ])}\nResults go to stdout; progress, warnings and errors to stderr.\n` +
        "Exit codes: 0 ok, 1 failure or not ready, 2 usage or config error, 130 interrupted.\n",
    );
  configure(program);
  registerInit(program);
  registerVerify(program);
  registerRun(program);
  registerAsk(program);
  registerProof(program);
  registerKey(program);
  registerLand(program);
  registerCleanup(program);
  registerGoal(program);
  registerSandbox(program);
  registerDoctor(program);
  return program;
}

/**
 * Every command (commander copies these settings to subcommands created after this call): errors are
 * rendered by handleError, so they carry a code and a hint; help is written to stdout, also the help a
 * group (`omk`, `omk proof`) prints when no subcommand is given — that is an answer, not an error.
 */
function configure(program: Command): void {
  program.exitOverride();
  program.configureOutput({
    writeOut,
    writeErr: writeOut,
    getErrHelpWidth: () => (process.stdout.isTTY ? process.stdout.columns : 80),
    outputError: () => {},
  });
}
